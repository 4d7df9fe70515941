/**
 * The simulated network's fault vocabulary is `ccm chaos`'s: the link faults of src/faults/faults.ts (partition,
 * majority-ring, one-way, delay, loss, duplicate), each acting as the link filter's LinkRule on the links it
 * names. chaos compiles a fault into every node's filter, per peer and direction (O(n²) entries for a partition);
 * the simulator, which runs up to 20 000 gossip nodes, asks instead for the rule of one directed link when a
 * message takes it. The two must agree: test/sim/kernel checks this against compileFaults.
 */
import { ringConnected, type Fault } from '../../faults/faults.js';
import type { LinkRule } from '../../net/link-filter.js';

export type LinkFault = Extract<Fault, { kind: 'partition' | 'majority-ring' | 'one-way' | 'delay' | 'loss' | 'duplicate' }>;

/** The rule a fault puts on the directed link from → to (undefined: it leaves that link alone). */
export type LinkRuleOf = (from: string, to: string) => LinkRule | undefined;

const DROP: LinkRule = Object.freeze({ drop: true });

/** Whether the fault cuts links (a partition of some shape) rather than degrading them. */
export function isCut(fault: LinkFault): boolean {
  return fault.kind === 'partition' || fault.kind === 'majority-ring' || fault.kind === 'one-way';
}

/** Compiles a fault into the rule it sets on each directed link (group lookups built once, O(1) per link). */
export function linkRuleOf(fault: LinkFault): LinkRuleOf {
  switch (fault.kind) {
    case 'partition': {
      // Nodes in different groups cannot reach each other; a node in no group reaches everyone (a bridge).
      const groupOf = new Map<string, number>();
      fault.groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
      return (from, to) => {
        const a = groupOf.get(from);
        const b = groupOf.get(to);
        return a !== undefined && b !== undefined && a !== b ? DROP : undefined;
      };
    }
    case 'majority-ring': {
      const ring = fault.ring;
      return (from, to) => (from !== to && !ringConnected(ring, from, to) ? DROP : undefined);
    }
    case 'one-way':
      return (from, to) => (from === fault.from && to === fault.to ? DROP : undefined);
    case 'delay':
      return between(fault.a, fault.b, { delayMs: fault.delayMs, ...(fault.jitterMs ? { jitterMs: fault.jitterMs } : {}) });
    case 'loss':
      return between(fault.a, fault.b, { loss: fault.rate });
    case 'duplicate':
      return between(fault.a, fault.b, { duplicate: fault.rate });
  }
}

/** A rule on both directions between a and b (`*`: every node), once per link, as chaos applies it at the sender. */
function between(a: string, b: string, rule: LinkRule): LinkRuleOf {
  const names = (x: string, id: string): boolean => x === '*' || x === id;
  return (from, to) => (from !== to && ((names(a, from) && names(b, to)) || (names(a, to) && names(b, from))) ? rule : undefined);
}

/** The faults that put `rule` on every link: the link filter's words for a degraded network everywhere. */
export function faultsOnEveryLink(rule: LinkRule): LinkFault[] {
  if (rule.drop) throw new RangeError('a rule that drops every message on every link leaves nothing to simulate');
  const faults: LinkFault[] = [];
  if ((rule.delayMs ?? 0) > 0 || (rule.jitterMs ?? 0) > 0) faults.push({ kind: 'delay', a: '*', b: '*', delayMs: rule.delayMs ?? 0, jitterMs: rule.jitterMs ?? 0 });
  if ((rule.loss ?? 0) > 0) faults.push({ kind: 'loss', a: '*', b: '*', rate: rule.loss ?? 0 });
  if ((rule.duplicate ?? 0) > 0) faults.push({ kind: 'duplicate', a: '*', b: '*', rate: rule.duplicate ?? 0 });
  return faults;
}
