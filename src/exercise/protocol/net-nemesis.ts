/**
 * Faults on the harness's network over time: each is an interval of the run with a link fault (the vocabulary of
 * `ccm chaos`: partition, one-way, delay, loss, duplicate) or a paused node. The schedule is fixed by the seed
 * before the run (a seed replays it); a pause may target "the leader", resolved when it starts. Overlapping link
 * faults combine as the link filter combines rules (drops win, delays add, losses compound).
 */
import { describeFault, type Fault } from '../../faults/faults.js';
import type { NodeNetwork } from './node-network.js';

export type NetFaultPlan = { kind: 'link'; fault: Fault } | { kind: 'pause'; node: string } | { kind: 'pause-leader' };

export interface ScheduledNetFault {
  startMs: number;
  endMs: number;
  plan: NetFaultPlan;
}

/** A fault as it happened: what, and when (ms from the start of the run). */
export interface AppliedNetFault {
  description: string;
  startMs: number;
  endMs: number | null;
  /** For a pause: the node. */
  node?: string;
  /** For a partition: its groups. */
  fault?: Fault;
}

export function describeNetPlan(plan: NetFaultPlan): string {
  if (plan.kind === 'link') return describeFault(plan.fault);
  if (plan.kind === 'pause') return `pause ${plan.node} (SIGSTOP)`;
  return 'pause the leader (SIGSTOP)';
}

export class NetNemesis {
  readonly applied: AppliedNetFault[] = [];
  private readonly started = new Map<ScheduledNetFault, AppliedNetFault>();
  private readonly pausedBy = new Map<ScheduledNetFault, string>();
  private lastLinkKey = '';

  constructor(
    private readonly network: NodeNetwork,
    private readonly schedule: readonly ScheduledNetFault[],
    private readonly options: { say?: (line: string) => void; resolveLeader?: () => string | null } = {},
  ) {}

  /** Applies the schedule until it ends or `shouldStop`; then every fault stays as it is (call healAll). */
  async run(elapsedMs: () => number, shouldStop: () => boolean): Promise<void> {
    const lastEnd = Math.max(0, ...this.schedule.map((s) => s.endMs));
    while (!shouldStop() && elapsedMs() <= lastEnd + 25) {
      this.step(elapsedMs());
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Brings the network to what the schedule says at `nowMs`. */
  step(nowMs: number): void {
    for (const s of this.schedule) {
      const isDue = s.startMs <= nowMs && nowMs < s.endMs;
      const record = this.started.get(s);
      if (isDue && !record) this.begin(s, nowMs);
      else if (!isDue && record && record.endMs === null && nowMs >= s.endMs) this.end(s, record, nowMs);
    }
    const links = [...this.started.entries()].filter(([s, r]) => s.plan.kind === 'link' && r.endMs === null).map(([s]) => (s.plan as { fault: Fault }).fault);
    const key = JSON.stringify(links);
    if (key !== this.lastLinkKey) {
      this.lastLinkKey = key;
      this.network.setFaults(links);
    }
  }

  /** Ends every fault: links healed, paused nodes resumed. */
  healAll(nowMs: number): void {
    for (const [s, record] of this.started) if (record.endMs === null) this.end(s, record, nowMs);
    this.network.setFaults([]);
    this.lastLinkKey = '[]';
  }

  /** Faults active now, in words. */
  active(): string[] {
    return this.applied.filter((a) => a.endMs === null).map((a) => a.description);
  }

  private begin(s: ScheduledNetFault, nowMs: number): void {
    let description = describeNetPlan(s.plan);
    let node: string | undefined;
    if (s.plan.kind === 'pause' || s.plan.kind === 'pause-leader') {
      node = s.plan.kind === 'pause' ? s.plan.node : (this.options.resolveLeader?.() ?? undefined);
      if (node === undefined) {
        this.options.say?.(`${stamp(nowMs)}  · pause the leader: skipped (no node names a leader)`);
        this.started.set(s, { description: `${description}: skipped`, startMs: nowMs, endMs: nowMs });
        return;
      }
      description = `pause ${node}${s.plan.kind === 'pause-leader' ? ' (the leader)' : ''} (SIGSTOP)`;
      this.network.pause(node);
      this.pausedBy.set(s, node);
    }
    const record: AppliedNetFault = { description, startMs: nowMs, endMs: null, ...(node ? { node } : {}), ...(s.plan.kind === 'link' ? { fault: s.plan.fault } : {}) };
    this.started.set(s, record);
    this.applied.push(record);
    this.options.say?.(`${stamp(nowMs)}  + ${description}`);
  }

  private end(s: ScheduledNetFault, record: AppliedNetFault, nowMs: number): void {
    record.endMs = nowMs;
    const node = this.pausedBy.get(s);
    if (node !== undefined) {
      this.pausedBy.delete(s);
      // another pause of the same node may still hold it
      if (![...this.pausedBy.values()].includes(node)) this.network.resume(node);
    }
    if (this.applied.includes(record)) this.options.say?.(`${stamp(nowMs)}  - ${record.description}: over`);
  }
}

export function stamp(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(6)}s`;
}
