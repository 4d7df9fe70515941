import { CcmError } from '../errors/ccm-error.js';
import { combineRules, type LinkFilterConfig, type LinkRule } from '../net/link-filter.js';

/**
 * Cluster-wide faults, as the operator states them, stored in cluster.json. Link faults (partition,
 * majority-ring, one-way, delay, loss, duplicate) are compiled into each node's own link filter (per peer,
 * per direction), so a node that restarts picks its rules up again. Node faults (kill, skew) are applied by
 * the chaos commands themselves and recorded here so that `ccm chaos status` can name them and
 * `ccm chaos heal` can undo them; a paused node is recorded on its node record (`paused`).
 */
export type Fault =
  /** Nodes in different groups cannot reach each other; nodes named in no group reach everyone (a bridge). */
  | { kind: 'partition'; groups: string[][] }
  /**
   * Jepsen's majorities ring: the nodes sit on a ring and each reaches only the nodes within `reach` steps of
   * it, a majority counting itself; no two nodes see the same majority.
   */
  | { kind: 'majority-ring'; ring: string[] }
  /** `from` cannot reach `to`; `to` still reaches `from`. */
  | { kind: 'one-way'; from: string; to: string }
  /** Extra latency on messages between a and b (both ways); `*` means every node. */
  | { kind: 'delay'; a: string; b: string; delayMs: number; jitterMs: number }
  /** Lose a fraction of messages between a and b (both ways); `*` means every node. */
  | { kind: 'loss'; a: string; b: string; rate: number }
  /** Deliver a fraction of messages twice between a and b (both ways); `*` means every node. */
  | { kind: 'duplicate'; a: string; b: string; rate: number }
  /** The node was killed (SIGKILL) and is held down: the supervisor leaves it alone until heal restarts it. */
  | { kind: 'kill'; node: string }
  /** The node's wall clock runs `offsetMs` ahead (negative: behind), through its injected clock. */
  | { kind: 'skew'; node: string; offsetMs: number }
  /** The node's monotonic clock, its timers and its lease TTL handling run `rate` times real time. */
  | { kind: 'clock-rate'; node: string; rate: number };

/** The fault kinds compiled into link filters; the others act on processes and clocks. */
export const LINK_FAULT_KINDS: ReadonlySet<Fault['kind']> = new Set(['partition', 'majority-ring', 'one-way', 'delay', 'loss', 'duplicate']);

/** Largest delay or jitter a link rule accepts (the link filter's own bound). */
export const MAX_DELAY_MS = 60_000;
/** Largest clock offset a node accepts (±1 day, the node's own bound). */
export const MAX_SKEW_MS = 86_400_000;
/** Clock rates a node accepts (its own bounds). */
export const MIN_CLOCK_RATE = 0.1;
export const MAX_CLOCK_RATE = 10;

/** How many ring steps each node of a majority ring reaches: the fewest that make a majority, counting itself. */
export function majorityRingReach(size: number): number {
  const majority = Math.floor(size / 2) + 1;
  return Math.ceil((majority - 1) / 2);
}

/** Whether `a` and `b` can talk on a majority ring (ring distance at most the reach). */
export function ringConnected(ring: readonly string[], a: string, b: string): boolean {
  const i = ring.indexOf(a);
  const j = ring.indexOf(b);
  if (i < 0 || j < 0) return true;
  const d = Math.abs(i - j);
  return Math.min(d, ring.length - d) <= majorityRingReach(ring.length);
}

export function validateFault(fault: Fault, nodeIds: readonly string[]): void {
  const known = new Set(nodeIds);
  const check = (id: string, allowAll = false): void => {
    if (allowAll && id === '*') return;
    if (!known.has(id)) throw new CcmError('not_found', `unknown node "${id}"; the cluster has ${nodeIds.join(', ')}`);
  };
  switch (fault.kind) {
    case 'partition': {
      if (fault.groups.length < 2) throw new CcmError('invalid_argument', 'a partition needs at least two groups');
      const seen = new Set<string>();
      for (const group of fault.groups) {
        if (group.length === 0) throw new CcmError('invalid_argument', 'a partition group is empty');
        for (const id of group) {
          check(id);
          if (seen.has(id)) throw new CcmError('invalid_argument', `node ${id} is named more than once in the partition`);
          seen.add(id);
        }
      }
      return;
    }
    case 'majority-ring': {
      if (fault.ring.length < 4) throw new CcmError('invalid_argument', `a majority ring needs at least 4 nodes (got ${fault.ring.length}): with fewer, every node reaches a majority that includes everyone`);
      const seen = new Set<string>();
      for (const id of fault.ring) {
        check(id);
        if (seen.has(id)) throw new CcmError('invalid_argument', `node ${id} is named more than once in the ring`);
        seen.add(id);
      }
      return;
    }
    case 'one-way':
      check(fault.from);
      check(fault.to);
      if (fault.from === fault.to) throw new CcmError('invalid_argument', 'one-way needs two different nodes');
      return;
    case 'delay':
    case 'loss':
    case 'duplicate':
      check(fault.a, true);
      check(fault.b, true);
      if (fault.a === fault.b && fault.a !== '*') throw new CcmError('invalid_argument', `${fault.kind} needs two different nodes`);
      if (fault.kind === 'delay') {
        for (const [name, ms] of [['delay', fault.delayMs], ['jitter', fault.jitterMs]] as const) {
          if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) throw new CcmError('invalid_argument', `${name} must be from 0 to ${MAX_DELAY_MS} ms (got ${ms})`);
        }
      } else if (!(fault.rate >= 0 && fault.rate <= 1)) {
        throw new CcmError('invalid_argument', `${fault.kind} rate must be from 0% to 100% (got ${fault.rate * 100}%)`);
      }
      return;
    case 'kill':
      check(fault.node);
      return;
    case 'skew':
      check(fault.node);
      if (!Number.isFinite(fault.offsetMs) || Math.abs(fault.offsetMs) > MAX_SKEW_MS) {
        throw new CcmError('invalid_argument', `a clock offset must be within ±1 day (got ${fault.offsetMs} ms)`);
      }
      return;
    case 'clock-rate':
      check(fault.node);
      if (!Number.isFinite(fault.rate) || fault.rate < MIN_CLOCK_RATE || fault.rate > MAX_CLOCK_RATE) {
        throw new CcmError('invalid_argument', `a clock rate must be from ${MIN_CLOCK_RATE}x to ${MAX_CLOCK_RATE}x (got ${fault.rate}x)`);
      }
      return;
  }
}

/** Compiles faults into one link filter config per node. */
export function compileFaults(faults: Fault[], nodeIds: string[]): Record<string, LinkFilterConfig> {
  const configs: Record<string, LinkFilterConfig> = Object.fromEntries(nodeIds.map((id) => [id, { peers: {} }]));
  const add = (node: string, peer: string, direction: 'in' | 'out', rule: LinkRule): void => {
    const config = configs[node];
    if (!config) return;
    const entry = (config.peers[peer] ??= {});
    entry[direction] = combineRules(entry[direction], rule);
  };
  const pairs = (a: string, b: string): [string, string][] => {
    const as = a === '*' ? nodeIds : [a];
    const bs = b === '*' ? nodeIds : [b];
    const out: [string, string][] = [];
    for (const x of as) for (const y of bs) if (x !== y) out.push([x, y], [y, x]);
    return out;
  };
  for (const fault of faults) {
    switch (fault.kind) {
      case 'partition':
        fault.groups.forEach((group, i) => {
          fault.groups.forEach((other, j) => {
            if (i === j) return;
            for (const x of group) {
              for (const y of other) {
                add(x, y, 'out', { drop: true });
                add(x, y, 'in', { drop: true });
              }
            }
          });
        });
        break;
      case 'majority-ring':
        for (const x of fault.ring) {
          for (const y of fault.ring) {
            if (x === y || ringConnected(fault.ring, x, y)) continue;
            add(x, y, 'out', { drop: true });
            add(x, y, 'in', { drop: true });
          }
        }
        break;
      case 'one-way':
        add(fault.from, fault.to, 'out', { drop: true });
        add(fault.to, fault.from, 'in', { drop: true });
        break;
      // Rates and delays apply once, at the sender, so they don't compound across the two ends.
      case 'delay':
        for (const [x, y] of dedupe(pairs(fault.a, fault.b))) add(x, y, 'out', { delayMs: fault.delayMs, jitterMs: fault.jitterMs || undefined });
        break;
      case 'loss':
        for (const [x, y] of dedupe(pairs(fault.a, fault.b))) add(x, y, 'out', { loss: fault.rate });
        break;
      case 'duplicate':
        for (const [x, y] of dedupe(pairs(fault.a, fault.b))) add(x, y, 'out', { duplicate: fault.rate });
        break;
      case 'kill':
      case 'skew':
      case 'clock-rate':
        break; // node faults: applied to the process and its clock, not to links
    }
  }
  return configs;
}

function dedupe(pairs: [string, string][]): [string, string][] {
  const seen = new Set<string>();
  return pairs.filter(([x, y]) => {
    const k = `${x}>${y}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One line in words, for `ccm chaos status` and the event log. */
export function describeFault(fault: Fault): string {
  const between = (a: string, b: string): string => (a === '*' && b === '*' ? 'on every link' : `between ${a} and ${b}`);
  switch (fault.kind) {
    case 'partition':
      return `partition: ${fault.groups.map((g) => `{${g.join(',')}}`).join(' | ')} cannot reach each other`;
    case 'majority-ring':
      return `majority ring ${fault.ring.join('-')}: each node reaches only its ${majorityRingReach(fault.ring.length) * 2} nearest on the ring (a majority, different for each)`;
    case 'one-way':
      return `one-way: ${fault.from} cannot reach ${fault.to} (${fault.to} still reaches ${fault.from})`;
    case 'delay':
      return `delay ${fault.delayMs} ms${fault.jitterMs ? ` ±${fault.jitterMs} ms jitter` : ''} ${between(fault.a, fault.b)}`;
    case 'loss':
      return `loss ${(fault.rate * 100).toFixed(1).replace(/\.0$/, '')}% ${between(fault.a, fault.b)}`;
    case 'duplicate':
      return `duplicate ${(fault.rate * 100).toFixed(1).replace(/\.0$/, '')}% ${between(fault.a, fault.b)}`;
    case 'kill':
      return `${fault.node} killed (SIGKILL), held down until healed`;
    case 'skew':
      return `clock of ${fault.node} ${fault.offsetMs >= 0 ? 'ahead' : 'behind'} by ${formatOffset(Math.abs(fault.offsetMs))}`;
    case 'clock-rate':
      return `timers of ${fault.node} run ${fault.rate}x ${fault.rate > 1 ? 'fast' : 'slow'} (its monotonic clock and lease TTLs)`;
  }
}

function formatOffset(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
