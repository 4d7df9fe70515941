/**
 * The exercises of the learning path (docs/learn/), in order, with their walkthrough page, their protocol document,
 * and the programs bundled under examples/exercises/ (starter, reference, broken; Python and/or TypeScript).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CcmError } from '../errors/ccm-error.js';

export const EXERCISE_IDS = ['lease', 'watch', 'gossip', 'election', 'election-recipe', 'failure-detection', 'chaos'] as const;
export type ExerciseId = (typeof EXERCISE_IDS)[number];
/** The exercises whose solutions the chaos exercise runs under every fault. */
export const CHAOS_TARGETS = ['lease', 'watch', 'election-recipe', 'gossip', 'failure-detection', 'election'] as const;
export type ChaosTarget = (typeof CHAOS_TARGETS)[number];

export type Language = 'py' | 'ts';
export type SolutionKind = 'starter' | 'reference' | 'broken';

export interface ExerciseInfo {
  id: ExerciseId;
  /** Its place in the path: 1..6 (4b: the election recipe beside the spontaneous election). */
  number: string;
  title: string;
  /** What the check does, in a line. */
  summary: string;
  kind: 'recipe' | 'protocol' | 'chaos';
  /** The walkthrough page (docs/learn/). */
  page: string;
  /** The protocol document (docs/exercises/). */
  protocol: string;
  defaultDurationMs: number;
  /** Languages each bundled program exists in. */
  programs: Record<SolutionKind, Language[]>;
}

export const EXERCISES: Record<ExerciseId, ExerciseInfo> = {
  lease: {
    id: 'lease',
    number: '1',
    title: 'Lease manager',
    summary: 'clients acquire a resource, write to it with their fencing token and release it; holders are frozen past their lease',
    kind: 'recipe',
    page: '02-lease-manager.md',
    protocol: 'client-protocol.md',
    defaultDurationMs: 20_000,
    programs: { starter: ['py', 'ts'], reference: ['py', 'ts'], broken: ['py', 'ts'] },
  },
  watch: {
    id: 'watch',
    number: '2',
    title: 'Change notification',
    summary: 'watchers follow a prefix while nodes are frozen and killed; every change once, in order, none lost',
    kind: 'recipe',
    page: '03-watch-notification.md',
    protocol: 'client-protocol.md',
    defaultDurationMs: 20_000,
    programs: { starter: ['py', 'ts'], reference: ['py'], broken: ['py'] },
  },
  gossip: {
    id: 'gossip',
    number: '3',
    title: 'Gossip',
    summary: "Maelstrom's broadcast: every acknowledged fact reaches every node through loss, duplication and a partition",
    kind: 'protocol',
    page: '04-gossip.md',
    protocol: 'node-protocol.md',
    defaultDurationMs: 20_000,
    programs: { starter: ['py', 'ts'], reference: ['py', 'ts'], broken: ['py', 'ts'] },
  },
  election: {
    id: 'election',
    number: '4',
    title: 'Spontaneous leader election',
    summary: 'a leader without a coordinator: no two leaders under a partition, agreement after the heal and when the leader stops',
    kind: 'protocol',
    page: '05-leader-election.md',
    protocol: 'node-protocol.md',
    defaultDurationMs: 30_000,
    programs: { starter: ['py', 'ts'], reference: ['py'], broken: ['py'] },
  },
  'election-recipe': {
    id: 'election-recipe',
    number: '4b',
    title: 'Leader election on the core',
    summary: 'campaign for a lease-backed leadership; a leader frozen past its lease must know it lost',
    kind: 'recipe',
    page: '05-leader-election.md',
    protocol: 'client-protocol.md',
    defaultDurationMs: 20_000,
    programs: { starter: ['py'], reference: ['py'], broken: ['py'] },
  },
  'failure-detection': {
    id: 'failure-detection',
    number: '5',
    title: 'Failure detection',
    summary: 'nodes stopped one at a time on lossy links: detect every stop, suspect almost no running node',
    kind: 'protocol',
    page: '06-failure-detection.md',
    protocol: 'node-protocol.md',
    defaultDurationMs: 30_000,
    programs: { starter: ['py', 'ts'], reference: ['py'], broken: ['py'] },
  },
  chaos: {
    id: 'chaos',
    number: '6',
    title: 'Chaos',
    summary: 'your earlier solutions under every fault at once; and `ccm exercise bug`, a cluster with a planted bug to find',
    kind: 'chaos',
    page: '07-chaos.md',
    protocol: 'client-protocol.md',
    defaultDurationMs: 20_000,
    programs: { starter: [], reference: [], broken: [] },
  },
};

/** The project's root (this file is dist/src/exercise/exercises.js once built). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function parseExerciseId(text: string): ExerciseId {
  if (!(EXERCISE_IDS as readonly string[]).includes(text)) {
    throw new CcmError('invalid_argument', `unknown exercise "${text}"; choose one of ${EXERCISE_IDS.join(', ')} (ccm exercise list)`);
  }
  return text as ExerciseId;
}

export function parseChaosTargets(text: string): ChaosTarget[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new CcmError('invalid_argument', `--target needs at least one of ${CHAOS_TARGETS.join(', ')}`);
  for (const n of names) {
    if (!(CHAOS_TARGETS as readonly string[]).includes(n)) throw new CcmError('invalid_argument', `unknown --target "${n}"; choose from ${CHAOS_TARGETS.join(', ')}`);
  }
  return [...new Set(names)] as ChaosTarget[];
}

/** Where a bundled program's source is (relative to the project root). */
export function programSource(exercise: ExerciseId, kind: SolutionKind, language: Language): string {
  return path.join('examples', 'exercises', exercise, `${kind}.${language}`);
}

/** The command that runs a bundled program: python3 for Python, node on the built JavaScript for TypeScript. */
export function programCommand(exercise: ExerciseId, kind: SolutionKind, language?: Language): string[] {
  const info = EXERCISES[exercise];
  const languages = info.programs[kind];
  if (languages.length === 0) throw new CcmError('invalid_argument', `exercise ${exercise} has no bundled ${kind} program`);
  const lang = language ?? languages[0];
  if (!languages.includes(lang)) {
    throw new CcmError('invalid_argument', `exercise ${exercise} has its ${kind} program in ${languages.map(languageName).join(' and ')} only (--language ${languages.join('|')})`);
  }
  if (lang === 'py') return ['python3', path.join(PROJECT_ROOT, programSource(exercise, kind, 'py'))];
  const built = path.join(PROJECT_ROOT, 'dist', 'examples', 'exercises', exercise, `${kind}.js`);
  if (!fs.existsSync(built)) throw new CcmError('failed_precondition', `${built} is missing: build the project first (npm run build)`);
  return [process.execPath, built];
}

export function languageName(lang: Language): string {
  return lang === 'py' ? 'Python' : 'TypeScript';
}

export function parseLanguage(text: string): Language {
  if (text === 'py' || text === 'python') return 'py';
  if (text === 'ts' || text === 'typescript') return 'ts';
  throw new CcmError('invalid_argument', `unknown --language "${text}"; use py or ts`);
}
