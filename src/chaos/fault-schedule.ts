/**
 * The nemesis schedule of a chaos run, as a pure function of the seed (Jepsen's combined nemesis): each
 * chosen kind of fault cycles on its own — rest, start a fault, hold it, stop it — with random lengths
 * around the interval, so faults of different kinds overlap. Which node a kill or pause hits may be "the
 * leader", resolved when the fault starts; everything else is fixed here, so a seed replays the schedule.
 */
import { CcmError } from '../errors/ccm-error.js';
import { SeededRandom, type Random } from '../random/random.js';
import { describeFault, type Fault } from '../faults/faults.js';
import { partitionFault, type PartitionShape } from './partition-shapes.js';

/** The kinds of fault a run can inject. */
export const NEMESIS_KINDS = ['partition', 'kill', 'pause', 'delay', 'loss', 'skew', 'clock-rate'] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

/** Which node a process fault hits: a fixed node, or whichever node leads the core when it starts. */
export type NodeTarget = { node: string } | { leader: true };

/** One fault to inject, as planned. */
export type PlannedFault =
  | { nemesis: 'partition'; shape: PartitionShape; fault: Fault }
  /** Isolate whichever node leads when the fault starts. */
  | { nemesis: 'partition'; shape: 'isolate-leader' }
  | { nemesis: 'kill'; target: NodeTarget }
  | { nemesis: 'pause'; target: NodeTarget }
  | { nemesis: 'delay'; fault: Extract<Fault, { kind: 'delay' }> }
  | { nemesis: 'loss'; fault: Extract<Fault, { kind: 'loss' }> }
  | { nemesis: 'skew'; fault: Extract<Fault, { kind: 'skew' }> }
  /** Run a node's timers (and lease TTLs) fast or slow: the leader half the time, where expiry is decided. */
  | { nemesis: 'clock-rate'; target: NodeTarget; rate: number };

/** A planned fault and when it starts and stops, in ms from the start of the run. */
export interface ScheduledFault {
  startMs: number;
  endMs: number;
  planned: PlannedFault;
}

export interface ScheduleOptions {
  nemesis: readonly NemesisKind[];
  /** Every node id. */
  nodes: readonly string[];
  /** The Raft voters (kills, pauses and isolations favour them: that is where faults bite). */
  voters: readonly string[];
  /**
   * The processes kills and pauses hit instead of the nodes, when the core is not theirs: a local etcd cluster's
   * members (e1, e2, e3). "The leader" is then the etcd leader.
   */
  processTargets?: readonly string[];
  durationMs: number;
  /** The mean rest and the mean hold of each kind's cycle. */
  intervalMs: number;
  seed: number;
}

/** Parses `partition,kill,pause` (or `all`, or `none`) into nemesis kinds; unknown names are an error. */
export function parseNemesisList(text: string): NemesisKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new CcmError('invalid_argument', `give at least one nemesis (${NEMESIS_KINDS.join(', ')}, all or none)`);
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.length === 1 && names[0] === 'all') return [...NEMESIS_KINDS];
  const kinds: NemesisKind[] = [];
  for (const name of names) {
    if (!(NEMESIS_KINDS as readonly string[]).includes(name)) {
      throw new CcmError('invalid_argument', `unknown nemesis "${name}"; choose from ${NEMESIS_KINDS.join(', ')} (comma-separated), all or none`);
    }
    if (kinds.includes(name as NemesisKind)) throw new CcmError('invalid_argument', `nemesis "${name}" is named twice`);
    kinds.push(name as NemesisKind);
  }
  return kinds;
}

/** A fault's start is skipped if less than this is left of the run. */
const MIN_HOLD_MS = 1000;

function around(random: Random, meanMs: number): number {
  return Math.round(meanMs * (0.6 + 0.8 * random.next()));
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)];
}

/** A node to hit: the leader half the time, else a random voter, or now and then any node. */
function target(random: Random, options: ScheduleOptions, pool?: readonly string[]): NodeTarget {
  const dice = random.next();
  if (dice < 0.5) return { leader: true };
  const voters = pool ?? options.voters;
  if (dice < 0.8 && voters.length > 0) return { node: pick(random, voters) };
  return { node: pick(random, pool ?? options.nodes) };
}

function plan(kind: NemesisKind, random: Random, options: ScheduleOptions): PlannedFault {
  const nodes = options.nodes;
  switch (kind) {
    case 'partition': {
      const shapes: (PartitionShape | 'isolate-leader')[] = ['halves', 'isolate', 'isolate-leader'];
      if (nodes.length >= 3) shapes.push('bridge');
      if (nodes.length >= 4) shapes.push('majority-ring');
      const shape = pick(random, shapes);
      if (shape === 'isolate-leader') return { nemesis: 'partition', shape };
      const isolated = shape === 'isolate' ? pick(random, options.voters.length > 0 && random.next() < 0.7 ? options.voters : nodes) : undefined;
      return { nemesis: 'partition', shape, fault: partitionFault(shape, nodes, random, isolated) };
    }
    case 'kill':
      return { nemesis: 'kill', target: target(random, options, options.processTargets) };
    case 'pause':
      return { nemesis: 'pause', target: target(random, options, options.processTargets) };
    case 'delay': {
      const delayMs = pick(random, [20, 50, 100, 200, 400]);
      return { nemesis: 'delay', fault: { kind: 'delay', a: '*', b: '*', delayMs, jitterMs: Math.round(delayMs / 2) } };
    }
    case 'loss':
      return { nemesis: 'loss', fault: { kind: 'loss', a: '*', b: '*', rate: pick(random, [0.05, 0.1, 0.2, 0.35]) } };
    case 'skew': {
      const sign = random.next() < 0.5 ? -1 : 1;
      const offsetMs = sign * pick(random, [250, 1000, 5000, 30_000, 120_000]);
      return { nemesis: 'skew', fault: { kind: 'skew', node: pick(random, nodes), offsetMs } };
    }
    case 'clock-rate':
      return { nemesis: 'clock-rate', target: target(random, options), rate: pick(random, [2, 0.5]) };
  }
}

/** The schedule for a run: every kind's faults, in start order. Same options, same schedule. */
export function planFaults(options: ScheduleOptions): ScheduledFault[] {
  if (options.nodes.length === 0) throw new RangeError('a schedule needs nodes');
  const root = new SeededRandom(options.seed);
  const schedule: ScheduledFault[] = [];
  for (const kind of NEMESIS_KINDS) {
    // every kind draws from its own stream, so adding a kind does not change the others' schedules
    const random = root.fork();
    if (!options.nemesis.includes(kind)) continue;
    let atMs = Math.round(options.intervalMs * (0.2 + 0.8 * random.next()));
    while (atMs + MIN_HOLD_MS <= options.durationMs) {
      const endMs = Math.min(options.durationMs, atMs + around(random, options.intervalMs));
      schedule.push({ startMs: atMs, endMs, planned: plan(kind, random, options) });
      atMs = endMs + around(random, options.intervalMs);
    }
  }
  return schedule.sort((a, b) => a.startMs - b.startMs || NEMESIS_KINDS.indexOf(a.planned.nemesis) - NEMESIS_KINDS.indexOf(b.planned.nemesis));
}

function targetText(t: NodeTarget): string {
  return 'leader' in t ? 'the leader' : t.node;
}

/** A planned fault in words (before a "leader" target is known). */
export function describePlanned(planned: PlannedFault): string {
  switch (planned.nemesis) {
    case 'partition':
      if (planned.shape === 'isolate-leader') return 'isolate the leader';
      if (planned.fault.kind === 'majority-ring') return `majority ring ${planned.fault.ring.join('-')}`;
      return `${planned.shape} ${describeFault(planned.fault).replace(/^partition: /, '').replace(/ cannot reach each other$/, '')}`;
    case 'kill':
      return `kill ${targetText(planned.target)} (then restart it)`;
    case 'pause':
      return `pause ${targetText(planned.target)} (then resume it)`;
    case 'delay':
    case 'loss':
    case 'skew':
      return describeFault(planned.fault);
    case 'clock-rate':
      return `run the timers of ${targetText(planned.target)} at ${planned.rate}x`;
  }
}
