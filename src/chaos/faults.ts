import { CcmError } from '../client/api-errors.js';
import { combineRules, type LinkFilterConfig, type LinkRule } from '../net/link-filter.js';

/**
 * Cluster-wide link faults, as the operator states them. They are stored in cluster.json and compiled into
 * each node's own link filter (per peer, per direction), so a node that restarts picks its rules up again.
 */
export type Fault =
  /** Nodes in different groups cannot reach each other; nodes named in no group reach everyone (a bridge). */
  | { kind: 'partition'; groups: string[][] }
  /** `from` cannot reach `to`; `to` still reaches `from`. */
  | { kind: 'one-way'; from: string; to: string }
  /** Extra latency on messages between a and b (both ways); `*` means every node. */
  | { kind: 'delay'; a: string; b: string; delayMs: number; jitterMs: number }
  /** Lose a fraction of messages between a and b (both ways); `*` means every node. */
  | { kind: 'loss'; a: string; b: string; rate: number }
  /** Deliver a fraction of messages twice between a and b (both ways); `*` means every node. */
  | { kind: 'duplicate'; a: string; b: string; rate: number };

export function validateFault(fault: Fault, nodeIds: string[]): void {
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
    case 'one-way':
      return `one-way: ${fault.from} cannot reach ${fault.to} (${fault.to} still reaches ${fault.from})`;
    case 'delay':
      return `delay ${fault.delayMs} ms${fault.jitterMs ? ` ±${fault.jitterMs} ms jitter` : ''} ${between(fault.a, fault.b)}`;
    case 'loss':
      return `loss ${(fault.rate * 100).toFixed(1).replace(/\.0$/, '')}% ${between(fault.a, fault.b)}`;
    case 'duplicate':
      return `duplicate ${(fault.rate * 100).toFixed(1).replace(/\.0$/, '')}% ${between(fault.a, fault.b)}`;
  }
}
