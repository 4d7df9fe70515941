import { CcmError } from '../../errors/ccm-error.js';
import type { Command } from '../../core/commands.js';
import { inSpan, prefixSpan } from '../../core/key-span.js';
import { LeaseExpiry } from '../../core/lease-expiry.js';
import { withPrevKv } from '../../core/prev-kv.js';
import type { WatchEvent } from '../../core/kv-types.js';
import { applyCommand, type ApplyResult } from '../../core/state-machine.js';
import type { StateStore } from '../../core/state-store.js';
import type { Random } from '../../random/random.js';
import { leaseView, lockViews } from '../../services/core-views.js';
import type { CallOptions, CorePort, CoreRead, ReadResult, ReadResultOf, WatchHandlers, WatchSpec, WriteResult } from '../../services/core-port.js';
import type { KernelScheduler } from '../kernel/kernel-scheduler.js';

/** How the simulated core misbehaves (all seeded). */
export interface SimCoreFaults {
  /** One-way delay of each call and each watch delivery: uniform in [min, max] ms. */
  latencyMs: [number, number];
  /** Probability that a write is applied but its answer is lost (the caller gets `timeout`: an indeterminate outcome). */
  lostReply: number;
  /** Probability that a call fails before reaching the core (`unavailable`: nothing applied). */
  unavailable: number;
}

export const CALM: SimCoreFaults = { latencyMs: [1, 3], lostReply: 0, unavailable: 0 };

/** How often the core looks for expired leases (the leader's expiry round). */
const EXPIRY_ROUND_MS = 50;

/**
 * The consistent core as the services see it (CorePort), simulated: one linearizable replica applying the real state
 * machine (core/state-machine.ts) to a real store, with lease expiry by the kernel's clock, and a network in between
 * that delays, loses answers and refuses calls as the seed decides. What it does not simulate is Raft itself (the
 * Raft simulation does): here the core is a single correct replica, so any violation a check finds is the services'.
 */
export class SimCore implements CorePort {
  private index = 0;
  private readonly expiry = new LeaseExpiry();
  private readonly watchers = new Set<{ spec: WatchSpec; handlers: WatchHandlers; deliveredAt: number }>();
  /** Commands applied, in order (for a failing seed's report). */
  readonly applied: { atMs: number; command: Command; result: ApplyResult }[] = [];
  private readonly stopExpiry: () => void;

  constructor(
    readonly state: StateStore,
    private readonly scheduler: KernelScheduler,
    private readonly random: Random,
    private readonly faults: SimCoreFaults = CALM,
  ) {
    this.stopExpiry = scheduler.every(EXPIRY_ROUND_MS, () => this.expireDue());
  }

  stop(): void {
    this.stopExpiry();
  }

  async write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    await this.travel(opts);
    const result = this.apply(command);
    if (this.random.next() < this.faults.lostReply) {
      await this.scheduler.sleep(Math.max(0, opts.deadline - this.scheduler.now()));
      throw new CcmError('timeout', 'the answer was lost (simulated)');
    }
    await this.scheduler.sleep(this.latency());
    if (result.op === 'error') throw new CcmError(result.code, result.message, result.details);
    if (result.op !== command.op) throw new CcmError('internal', `${command.op} applied as ${result.op}`);
    return result as WriteResult<C>;
  }

  async read<R extends CoreRead>(read: R, serializable: boolean, opts: CallOptions): Promise<ReadResultOf<R>> {
    await this.travel(opts);
    const answer = this.answer(read, serializable);
    await this.scheduler.sleep(this.latency());
    return answer as ReadResultOf<R>;
  }

  subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void {
    const watcher = { spec, handlers, deliveredAt: 0 };
    const revision = this.state.revision();
    // As the node's watch hub: a start below the kept history is refused; one in it replays the kept events first.
    if (spec.fromRevision > 0 && spec.fromRevision < this.state.compactRevision()) {
      const compactRevision = this.state.compactRevision();
      this.scheduler.after(this.latency(), () => handlers.onError(new CcmError('compacted', `revision ${spec.fromRevision} was compacted; the oldest revision kept is ${compactRevision}`, { compactRevision, revision })));
      return () => undefined;
    }
    this.watchers.add(watcher);
    handlers.onCreated?.(revision, 'sim');
    if (spec.fromRevision > 0 && spec.fromRevision <= revision) this.deliver(this.state.events(spec.fromRevision, revision, Number.MAX_SAFE_INTEGER), revision, watcher);
    return () => this.watchers.delete(watcher);
  }

  private apply(command: Command): ApplyResult {
    const applied = applyCommand(this.state, command, ++this.index);
    const now = this.scheduler.now();
    for (const lease of applied.effects.leasesTouched) this.expiry.touched(lease, now);
    for (const id of applied.effects.leasesRemoved) this.expiry.removed(id);
    this.applied.push({ atMs: now, command, result: applied.result });
    if (applied.effects.events.length > 0) this.deliver(applied.effects.events, this.state.revision());
    return applied.result;
  }

  /** The leader's expiry round: a lease past its TTL is ended by a conditional lease-expire, as in the node. */
  private expireDue(): void {
    for (const { id, renewals } of this.expiry.due(this.scheduler.now(), EXPIRY_ROUND_MS)) this.apply({ op: 'lease-expire', id, renewals });
  }

  /** Each watcher (or the one given) gets the events of its span, in revision order, after a network delay. */
  private deliver(events: WatchEvent[], revision: number, only?: { spec: WatchSpec; handlers: WatchHandlers; deliveredAt: number }): void {
    for (const w of only ? [only] : this.watchers) {
      const span = w.spec.end !== undefined ? { key: w.spec.key, end: w.spec.end } : w.spec.prefix ? prefixSpan(w.spec.key) : { key: w.spec.key };
      const mine = events
        .filter((e) => inSpan(span, e.kv.key) && e.kv.modRevision >= w.spec.fromRevision)
        .map((e) => (w.spec.prevKv ? withPrevKv(this.state, e) : e));
      if (mine.length === 0) continue;
      // In order per watcher: never before the previous delivery.
      const at = Math.max(w.deliveredAt, this.scheduler.now() + this.latency());
      w.deliveredAt = at;
      this.scheduler.after(at - this.scheduler.now(), () => {
        if (this.watchers.has(w)) w.handlers.onBatch({ events: mine, revision });
      });
    }
  }

  private answer(read: CoreRead, serializable: boolean): ReadResult {
    const state = this.state;
    const ttlLeftMs = (id: number): number | null => this.expiry.remainingMs(id, this.scheduler.now()) ?? null;
    switch (read.kind) {
      case 'range': {
        if (read.revision || read.prev) throw new CcmError('invalid_argument', 'the simulated core reads only the present');
        let kvs = state.range(read.key, read.prefix);
        if (read.liveOnly) kvs = kvs.filter((kv) => kv.lease === 0 || ttlLeftMs(kv.lease) !== 0);
        const count = kvs.length;
        if (read.limit) kvs = kvs.slice(0, read.limit);
        return { kvs, count, revision: state.revision(), compactRevision: state.compactRevision(), servedBy: 'sim', serializable };
      }
      case 'span': {
        const { kvs, count } = state.rangeSpan(read.span, { revision: read.revision, limit: read.limit, countOnly: read.countOnly });
        return { kvs, count, revision: state.revision(), compactRevision: state.compactRevision(), servedBy: 'sim', serializable };
      }
      case 'leases':
        return { leases: state.leases().map((l) => leaseView(state, l, ttlLeftMs(l.id))), servedBy: 'sim' };
      case 'lease': {
        const lease = state.getLease(read.id);
        if (!lease) throw new CcmError('not_found', `lease ${read.id} not found (it expired or was revoked)`);
        return { lease: leaseView(state, lease, ttlLeftMs(lease.id)), servedBy: 'sim' };
      }
      case 'locks':
        return { locks: lockViews(state, read.resource, ttlLeftMs), revision: state.revision(), servedBy: 'sim' };
    }
  }

  /** The request's way to the core: a delay, or a refusal before anything is applied. */
  private async travel(opts: CallOptions): Promise<void> {
    await this.scheduler.sleep(this.latency());
    if (this.scheduler.now() > opts.deadline) throw new CcmError('timeout', 'deadline passed');
    if (this.random.next() < this.faults.unavailable) throw new CcmError('unavailable', 'the core is out of reach (simulated)');
  }

  private latency(): number {
    const [min, max] = this.faults.latencyMs;
    return min + this.random.next() * (max - min);
  }
}
