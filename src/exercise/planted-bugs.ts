/**
 * Exercise 6's find-the-bug task: `ccm exercise bug` starts a cluster with one deliberate bug, chosen at random,
 * and the learner finds which guarantee it breaks with `ccm chaos run`. The bugs are the test-only fault switches
 * the chaos checkers are proven with (src/node: raft-driver.ts, core-service.ts, watch-routes.ts). The switch is
 * kept in cluster.json encoded (`planted:<base64>`), so the answer is not in plain sight; the node decodes it.
 */
import { CcmError } from '../errors/ccm-error.js';
import { decodeFaultSwitch } from '../cluster/cluster-file.js';
import type { Random } from '../random/random.js';

/** The guarantees `ccm chaos run` checks, by checker name. */
export const GUARANTEES = ['linearizability', 'lost-writes', 'lease-exclusivity', 'watch-order', 'registry-staleness'] as const;
export type Guarantee = (typeof GUARANTEES)[number];

export interface PlantedBug {
  /** The fault switch's name. */
  name: string;
  /** What it does, for the reveal. */
  description: string;
  /** The guarantees it breaks (any of them is a right answer). */
  breaks: Guarantee[];
  /** The runs that show it, for the reveal. */
  shownBy: string;
}

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: 'ack-before-commit',
    description: 'a write is acknowledged as soon as the leader proposes it, before a majority has it: a leader that dies or is cut off loses acknowledged writes',
    breaks: ['linearizability', 'lost-writes'],
    shownBy: 'ccm chaos run --workload register --nemesis partition,kill',
  },
  {
    name: 'grant-without-core',
    description: 'a lock is granted by whichever node the client asks, without the core: every client that asks gets it',
    breaks: ['lease-exclusivity'],
    shownBy: 'ccm chaos run --workload lease --nemesis none',
  },
  {
    name: 'stale-reads',
    description: 'reads are served from the local replica without asking the leader (no ReadIndex): a partitioned replica answers with old data',
    breaks: ['linearizability', 'registry-staleness'],
    shownBy: 'ccm chaos run --workload register --nemesis partition --interval 10s',
  },
  {
    name: 'watch-skip-on-resume',
    description: 'a watch resumed from a revision starts one revision late: a watcher that reconnects after a failure misses one change',
    breaks: ['watch-order'],
    shownBy: 'ccm chaos run --workload config --nemesis kill',
  },
  {
    name: 'token-per-leader',
    description: 'fencing tokens come from a counter on the leader instead of the log: after a leader change they start again from 1',
    breaks: ['lease-exclusivity'],
    shownBy: 'ccm chaos run --workload lease --nemesis kill,partition',
  },
];

export function pickBug(random: Random): PlantedBug {
  return PLANTED_BUGS[random.int(0, PLANTED_BUGS.length - 1)];
}

/** The setting value that plants `bug` (encoded, so that cluster.json does not say it in plain words). */
export function encodePlantedBug(bug: PlantedBug): string {
  return `planted:${Buffer.from(bug.name, 'utf8').toString('base64')}`;
}

/** The bug planted in a cluster, from its settings; null when it has none (or a switch set by hand, not planted). */
export function plantedBugOf(settingValue: string | undefined): PlantedBug | null {
  if (!settingValue?.startsWith('planted:')) return null;
  const name = decodeFaultSwitch(settingValue);
  return PLANTED_BUGS.find((b) => b.name === name) ?? null;
}

export function parseGuess(text: string): Guarantee | PlantedBug {
  const guess = text.trim().toLowerCase();
  const guarantee = GUARANTEES.find((g) => g === guess);
  if (guarantee) return guarantee;
  const bug = PLANTED_BUGS.find((b) => b.name === guess);
  if (bug) return bug;
  throw new CcmError('invalid_argument', `"${text}" is not a guarantee ccm checks; answer with one of ${GUARANTEES.join(', ')} (the checker that said invalid)`);
}

/** Whether a guess names the planted bug or a guarantee it breaks. */
export function isRightGuess(bug: PlantedBug, guess: Guarantee | PlantedBug): boolean {
  return typeof guess === 'string' ? bug.breaks.includes(guess) : guess.name === bug.name;
}
