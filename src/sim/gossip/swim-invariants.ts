import type { MemberEvent } from '../../swim/swim-node.js';
import type { GossipSimulation } from './gossip-simulation.js';

/** A live member declared dead by some node, with no crash or partition to excuse it. */
export interface FalsePositive {
  observer: string;
  memberId: string;
  incarnation: number;
  atMs: number;
  declaredBy: string;
  cause: 'suspicion-timeout' | 'gossip';
  accusers: string[];
}

/**
 * SWIM's safety invariant: no live member is declared dead without a crash or a partition. Checked on every `dead`
 * event as it happens. A declaration is excused when, within `graceMs` before it, the member was down or a partition
 * was in force: stale suspicions from a partition keep running (and may reach their timeout) after the heal, and the
 * push-pull merges that heal it turn the other side's "dead" into fresh suspicions (memberlist's mergeState). The
 * partition scenario reports those post-heal deaths as a figure of its own.
 */
export class NoLiveMemberDeclaredDead {
  readonly violations: FalsePositive[] = [];

  constructor(private readonly sim: GossipSimulation, private readonly graceMs: number) {
    sim.onEvent((observer, ev) => this.check(observer, ev));
  }

  get isHolding(): boolean {
    return this.violations.length === 0;
  }

  private check(observer: string, ev: MemberEvent): void {
    if (ev.type !== 'dead') return;
    const member = ev.memberId;
    if (!this.sim.isUp(member)) return;
    const now = this.sim.now();
    const from = now - this.graceMs;
    if (this.sim.wasDown(member, from, now) || this.sim.network.wasPartitioned(from, now)) return;
    this.violations.push({
      observer,
      memberId: member,
      incarnation: ev.incarnation,
      atMs: ev.atMs,
      declaredBy: ev.declaredBy,
      cause: ev.cause,
      accusers: ev.accusers,
    });
  }
}

/** Pairs (observer, member) of live nodes where the observer does not hold the member alive. Empty = one view. */
export function unconvergedPairs(sim: GossipSimulation): { observer: string; memberId: string; state: string }[] {
  const up = sim.upIds();
  const out: { observer: string; memberId: string; state: string }[] = [];
  for (const o of up) {
    const swim = sim.process(o).swim;
    for (const m of up) {
      const v = swim.member(m);
      if (v === undefined || v.state !== 'alive') out.push({ observer: o, memberId: m, state: v?.state ?? 'unknown' });
    }
  }
  return out;
}

/** Whether every live node holds every live node alive. */
export function isConverged(sim: GossipSimulation): boolean {
  const up = sim.upIds();
  for (const o of up) {
    const swim = sim.process(o).swim;
    for (const m of up) if (swim.member(m)?.state !== 'alive') return false;
  }
  return true;
}
