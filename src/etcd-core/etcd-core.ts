import type { ClientDuplexStream } from '@grpc/grpc-js';
import { CcmError } from '../errors/ccm-error.js';
import type { LeaseView, LockView } from '../api/api-types.js';
import type { Command, Fence } from '../core/commands.js';
import { commandProblem } from '../core/command-schemas.js';
import { prefixSpan, type KeySpan } from '../core/key-span.js';
import { FENCE_PREFIX, LOCK_PREFIX, LOCK_QUEUE_PREFIX } from '../core/kv-types.js';
import type { Clock } from '../time/clock.js';
import type { Scheduler } from '../time/scheduler.js';
import type { CallOptions, CorePort, CoreRead, ReadResult, ReadResultOf, ServiceContext, WatchHandlers, WatchSpec, WriteResult } from '../services/core-port.js';
import { holderOf, type ApplyResult } from '../core/state-machine.js';
import { lockView } from '../services/core-views.js';
import { BY_CREATION, modIs, rangeOp, spanBytes, text, toKeyValue, toWatchEvent, translateOps, translateTxn, type EtcdEvent, type EtcdHeader, type RequestOp, type ResponseOp } from './etcd-codec.js';
import { EtcdLeases, LEASE_RECORD_PREFIX, leaseRecordKey, readLeaseRecord } from './etcd-leases.js';
import { EtcdOps } from './etcd-ops.js';
import { EtcdRpc, type EtcdTls } from './etcd-rpc.js';

export interface EtcdCoreOptions {
  /** etcd client URLs (http://host:port) or host:port. */
  endpoints: string[];
  nodeId: string;
  clock: Clock;
  scheduler: Scheduler;
  random?: () => number;
  auth?: { username: string; password: string };
  /** For https endpoints: the CA (and a client key pair). */
  tls?: EtcdTls;
}

/** One etcd member as `ccm status` and `ccm top` show it (MemberList, and Maintenance Status asked of the member itself). */
export interface EtcdMemberStatus {
  name: string;
  id: string;
  endpoint: string;
  healthy: boolean;
  leader: boolean;
  raftIndex: number;
  raftTerm: number;
  dbSizeBytes: number;
  version: string;
  error?: string;
}

/** How long start() waits for any endpoint to answer. */
const START_TIMEOUT_MS = 5000;
/** The reactor's sweep for freed resources whose hand-over no watch event triggered (a watch gap, a restart). */
const SWEEP_EVERY_MS = 1000;
/** A broken watch stream is opened again after this (doubling, to the max). */
const WATCH_RETRY_MS = [100, 2000] as const;
/** How long pinning a watch "from now" to a revision may take before it is tried again. */
const ANCHOR_TIMEOUT_MS = 5000;

/**
 * The core port on a real etcd cluster (v3 API over gRPC). Plain KV maps one to one onto etcd's (keys, revisions,
 * txns, watches are etcd's own; a fence becomes a compare on the resource's fence record); leases and the lease
 * manager's commands are in etcd-leases.ts. Every node runs a reactor: a watch on the lock keys that hands a freed
 * resource to its oldest waiter (etcd deletes an expired holder's lock key itself), and a sweep that catches any it
 * missed. What differs from ccm's core is in DESIGN.md ("The services on etcd").
 */
export class EtcdCore implements CorePort {
  private readonly rpc: EtcdRpc;
  private readonly etcd: EtcdOps;
  private readonly leases: EtcdLeases;
  private readonly stops = new Set<() => void>();
  private isStopped = false;
  /** The newest compaction this client saw (etcd does not say it on reads). */
  private compactRevision = 0;

  constructor(private readonly opts: EtcdCoreOptions) {
    this.rpc = new EtcdRpc(opts.endpoints, opts.scheduler, opts.auth, opts.tls);
    this.etcd = new EtcdOps(this.rpc);
    this.leases = new EtcdLeases(this.etcd, opts.scheduler);
  }

  /** Connects (and authenticates); starts the hand-over reactor. */
  async start(): Promise<void> {
    const deadline = this.opts.scheduler.now() + START_TIMEOUT_MS;
    try {
      await this.rpc.connect(deadline);
      await this.etcd.range({ key: '/ccm/' }, deadline, { countOnly: true });
    } catch (err) {
      this.rpc.close();
      const why = err instanceof CcmError ? err.message : String(err);
      if (err instanceof CcmError && (err.code === 'unauthenticated' || err.code === 'permission_denied' || err.code === 'invalid_argument')) {
        throw new CcmError(err.code, `etcd at ${this.opts.endpoints.join(', ')} refused us: ${why}`, { endpoints: this.opts.endpoints });
      }
      throw new CcmError('unavailable', `etcd at ${this.opts.endpoints.join(', ')} did not answer within ${START_TIMEOUT_MS / 1000} s: ${why}`, { endpoints: this.opts.endpoints });
    }
    this.startReactor();
  }

  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    for (const stop of [...this.stops]) stop();
    this.stops.clear();
    this.rpc.close();
  }

  serviceContext(): ServiceContext {
    return { core: this, clock: this.opts.clock, scheduler: this.opts.scheduler, nodeId: this.opts.nodeId, random: this.opts.random ?? Math.random };
  }

  /** The members (MemberList), each asked for its own Status. */
  async members(deadlineMs = 2000): Promise<EtcdMemberStatus[]> {
    const deadline = this.opts.scheduler.now() + deadlineMs;
    const list = await this.rpc.call<{ members: { ID: string; name: string; clientURLs: string[] }[] }>('Cluster', 'MemberList', {}, deadline, true);
    return Promise.all(
      list.members.map(async (m): Promise<EtcdMemberStatus> => {
        const id = BigInt(m.ID).toString(16);
        const endpoint = m.clientURLs[0] ?? '';
        const base = { name: m.name || `(unstarted ${id})`, id, endpoint };
        try {
          if (!endpoint) throw new CcmError('unavailable', 'the member has not started (no client URL)');
          const s = await this.rpc.unaryAt<{ version: string; dbSize: string; leader: string; raftIndex: string; raftTerm: string; errors: string[] }>(
            endpoint,
            'Maintenance',
            'Status',
            {},
            Math.max(1, deadline - this.opts.scheduler.now()),
          );
          const errors = s.errors ?? [];
          return {
            ...base,
            healthy: errors.length === 0 && s.leader !== '0',
            leader: s.leader === m.ID,
            raftIndex: Number(s.raftIndex),
            raftTerm: Number(s.raftTerm),
            dbSizeBytes: Number(s.dbSize),
            version: s.version,
            ...(errors.length > 0 ? { error: errors.join('; ') } : s.leader === '0' ? { error: 'no leader' } : {}),
          };
        } catch (err) {
          return { ...base, healthy: false, leader: false, raftIndex: 0, raftTerm: 0, dbSizeBytes: 0, version: '', error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
  }

  async write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    const problem = commandProblem(command);
    if (problem !== undefined) throw new CcmError('invalid_argument', problem);
    const result = await this.apply(command, opts.deadline);
    if (result.op !== command.op) throw new CcmError('internal', `${command.op} answered as ${result.op}`);
    return result as WriteResult<C>;
  }

  async read<R extends CoreRead>(read: R, serializable: boolean, opts: CallOptions): Promise<ReadResultOf<R>> {
    return (await this.answer(read, serializable, opts.deadline)) as ReadResultOf<R>;
  }

  subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void {
    if (this.isStopped) {
      handlers.onError(new CcmError('unavailable', 'the etcd core is stopped'));
      return () => undefined;
    }
    const watch = new EtcdWatch(this.rpc, this.opts.scheduler, spec, handlers, (rev) => {
      this.compactRevision = Math.max(this.compactRevision, rev);
    });
    const stop = (): void => {
      this.stops.delete(stop);
      watch.stop();
    };
    this.stops.add(stop);
    watch.start();
    return stop;
  }

  // ---- writes ----------------------------------------------------------------------------------------------------

  private async apply(c: Command, deadline: number): Promise<ApplyResult> {
    switch (c.op) {
      case 'put':
      case 'delete':
      case 'txn':
        return this.applyKv(c, deadline);
      case 'lease-grant':
        return this.leases.grant(c, deadline);
      case 'lease-renew':
        return this.leases.renew(c, deadline);
      case 'lease-revoke':
        return this.leases.revoke(c, deadline);
      case 'lease-expire':
        // etcd expires its leases itself: nothing to propose.
        return { op: 'lease-expire', id: c.id, expired: false };
      case 'acquire':
        return this.leases.acquire(c, deadline);
      case 'release':
        return this.leases.release(c, deadline);
      case 'compact':
        return this.compact(c.revision, deadline);
    }
  }

  /** put, delete and txn as one etcd Txn; a fence is one more compare, on its resource's fence record. */
  private async applyKv(c: Extract<Command, { op: 'put' | 'delete' | 'txn' }>, deadline: number): Promise<ApplyResult> {
    const inner = c.op === 'txn' ? translateTxn(c) : null;
    const ops = c.op === 'txn' ? null : translateOps([c.op === 'put' ? { op: 'put', key: c.key, value: c.value, ...(c.lease ? { lease: c.lease } : {}), ...(c.ignoreValue ? { ignoreValue: true } : {}), ...(c.ignoreLease ? { ignoreLease: true } : {}) } : { op: 'delete', key: c.key, ...(c.prefix ? { prefix: true } : {}), ...(c.end !== undefined ? { end: c.end } : {}), ...(c.prevKvs ? { prevKvs: true } : {}), ...(c.keepReserved ? { keepReserved: true } : {}) }]);
    let responses: ResponseOp[];
    let header: EtcdHeader;
    let txnSucceeded = true;
    if (c.fence !== undefined) {
      const body: RequestOp[] = inner ? [{ request_txn: inner.txn }] : ops!.ops;
      const r = await this.etcd.txn([modIs(FENCE_PREFIX + c.fence.resource, c.fence.token)], body, [rangeOp({ key: FENCE_PREFIX + c.fence.resource }), rangeOp({ key: LOCK_PREFIX + c.fence.resource })], deadline);
      if (!r.succeeded) throw this.staleToken(c.fence, r.responses);
      header = r.header;
      if (inner) {
        const nested = r.responses[0]?.response === 'response_txn' ? r.responses[0].response_txn : null;
        if (!nested) throw new CcmError('internal', 'etcd answered a fenced txn without its nested txn');
        txnSucceeded = nested.succeeded;
        responses = nested.responses;
      } else responses = r.responses;
    } else if (inner) {
      const r = await this.etcd.txn(inner.txn.compare, inner.txn.success, inner.txn.failure, deadline);
      header = r.header;
      txnSucceeded = r.succeeded;
      responses = r.responses;
    } else {
      // A put or delete alone: still a Txn, so a delete split around ccm's keys (keepReserved) is one revision.
      const r = await this.etcd.txn([], ops!.ops, [], deadline);
      header = r.header;
      responses = r.responses;
    }
    const revision = Number(header.revision);
    if (c.op === 'txn') {
      const results = (txnSucceeded ? translateOps(c.success) : translateOps(c.failure)).results(responses);
      return { op: 'txn', succeeded: txnSucceeded, revision, results };
    }
    const [result] = ops!.results(responses);
    if (result.op === 'put') return { op: 'put', revision, ...(result.prev ? { prev: result.prev } : {}) };
    if (result.op === 'delete') return { op: 'delete', revision, deleted: result.deleted, ...(result.prev ? { prev: result.prev } : {}) };
    throw new CcmError('internal', `unexpected result ${result.op}`);
  }

  private staleToken(fence: Fence, responses: ResponseOp[]): CcmError {
    const first = (i: number) => {
      const x = responses[i];
      return x?.response === 'response_range' && x.response_range.kvs[0] ? toKeyValue(x.response_range.kvs[0]) : null;
    };
    const record = first(0);
    const lock = first(1);
    const newest = record ? record.modRevision : null;
    const holder = lock ? holderOf(lock) : null;
    const now = holder ? `it is held with token ${holder.token} (by ${holder.holder})` : newest !== null ? `its newest grant has token ${newest} (not held now)` : 'it was never granted';
    const why = newest === null || fence.token > newest ? `token ${fence.token} was never granted for ${fence.resource}` : `token ${fence.token} for ${fence.resource} is stale`;
    return new CcmError('stale_token', `${why}: ${now}; nothing was written`, { resource: fence.resource, token: fence.token, newestToken: newest });
  }

  private async compact(revision: number, deadline: number): Promise<ApplyResult> {
    const previous = this.compactRevision;
    try {
      await this.rpc.call('KV', 'Compact', { revision: String(revision), physical: false }, deadline, false);
    } catch (err) {
      if (err instanceof CcmError && err.code === 'compacted') {
        // At or below etcd's compaction point: nothing changed.
        return { op: 'compact', revision: Math.max(previous, revision), previous: Math.max(previous, revision) };
      }
      if (err instanceof CcmError && /future revision/.test(err.message)) {
        throw new CcmError('invalid_argument', `cannot compact to ${revision}: it is in the future (${err.message})`, { reason: 'future-revision' });
      }
      throw err;
    }
    this.compactRevision = Math.max(previous, revision);
    return { op: 'compact', revision: this.compactRevision, previous };
  }

  // ---- reads -----------------------------------------------------------------------------------------------------

  private async answer(read: CoreRead, serializable: boolean, deadline: number): Promise<ReadResult> {
    const servedBy = `etcd ${this.rpc.currentTarget}`;
    switch (read.kind) {
      case 'range': {
        let atRevision = read.revision ?? 0;
        if (read.prev) {
          const now = await this.etcd.get(read.key, deadline);
          if (!now) throw new CcmError('not_found', `${read.key} has no value now (on etcd the revision of a deletion cannot be read back, so neither can the value before it)`);
          atRevision = now.modRevision - 1;
          if (now.version === 1) throw new CcmError('not_found', `${read.key} had no value before its first change (revision ${now.modRevision})`);
        }
        const r = await this.etcd.range(read.prefix ? prefixSpan(read.key) : { key: read.key }, deadline, { revision: atRevision, limit: read.limit, serializable }).catch((err) => this.noteCompacted(err, atRevision));
        return {
          kvs: r.kvs.map(toKeyValue),
          count: Number(r.count),
          revision: Number(r.header.revision),
          compactRevision: this.compactRevision,
          servedBy,
          serializable,
          ...(atRevision > 0 ? { atRevision } : {}),
        };
      }
      case 'span': {
        const r = await this.etcd.range(read.span, deadline, { revision: read.revision, limit: read.limit, countOnly: read.countOnly, serializable }).catch((err) => this.noteCompacted(err, read.revision ?? 0));
        return { kvs: r.kvs.map(toKeyValue), count: Number(r.count), revision: Number(r.header.revision), compactRevision: this.compactRevision, servedBy, serializable };
      }
      case 'leases': {
        const ids = await this.etcd.leaseIds(deadline);
        const views = await Promise.all(ids.map((id) => this.leaseView(id, deadline)));
        return { leases: views.filter((v): v is LeaseView => v !== null).sort((a, b) => a.id - b.id), servedBy };
      }
      case 'lease': {
        const view = await this.leaseView(read.id, deadline);
        if (!view) throw new CcmError('not_found', `lease ${read.id} not found (it expired or was revoked)`);
        return { lease: view, servedBy };
      }
      case 'locks': {
        const { locks, revision } = await this.lockViews(read.resource, deadline);
        return { locks, revision, servedBy };
      }
    }
  }

  private noteCompacted(err: unknown, revision: number): never {
    if (err instanceof CcmError && err.code === 'compacted') {
      throw new CcmError('compacted', `revision ${revision} was compacted on etcd (${err.message})`, { revision, compactRevision: this.compactRevision || null });
    }
    if (err instanceof CcmError && /future revision/.test(err.message)) {
      throw new CcmError('invalid_argument', `revision ${revision} is in the future (${err.message})`, { reason: 'future-revision', revision });
    }
    throw err;
  }

  /** A lease as the API shows it; null when etcd has no such lease. TTL left in etcd's whole seconds. */
  private async leaseView(id: number, deadline: number): Promise<LeaseView | null> {
    const [live, recordKv] = await Promise.all([this.etcd.timeToLive(id, deadline), this.etcd.get(leaseRecordKey(id), deadline)]);
    if (live.ttlSeconds < 0) return null;
    const record = readLeaseRecord(recordKv);
    return {
      id,
      ttlMs: record?.ttlMs ?? live.grantedTtlSeconds * 1000,
      grantedRevision: recordKv?.createRevision ?? 0,
      grantedAtMs: record?.grantedAtMs ?? 0,
      renewedAtMs: record?.grantedAtMs ?? 0,
      renewals: 0,
      owner: record?.owner ?? '',
      ttlLeftMs: live.ttlSeconds * 1000,
      keys: live.keys.filter((k) => !k.startsWith(LEASE_RECORD_PREFIX)).sort(),
    };
  }

  private async lockViews(resource: string | undefined, deadline: number): Promise<{ locks: LockView[]; revision: number }> {
    const locksSpan: KeySpan = resource !== undefined ? { key: LOCK_PREFIX + resource } : prefixSpan(LOCK_PREFIX);
    const queueSpan: KeySpan = prefixSpan(resource !== undefined ? `${LOCK_QUEUE_PREFIX}${resource}/` : LOCK_QUEUE_PREFIX);
    const s = await this.etcd.snapshot([rangeOp(locksSpan), rangeOp(queueSpan, BY_CREATION), rangeOp(prefixSpan(LEASE_RECORD_PREFIX))], deadline);
    const records = new Map(s.ranges[2].map((kv) => [Number(kv.key.toString('utf8').slice(LEASE_RECORD_PREFIX.length)), toKeyValue(kv)]));
    const queue = s.ranges[1].map(toKeyValue);
    const locks = await Promise.all(
      s.ranges[0].map(async (raw): Promise<LockView> => {
        const kv = toKeyValue(raw);
        const name = kv.key.slice(LOCK_PREFIX.length);
        const h = holderOf(kv);
        const record = readLeaseRecord(records.get(h.lease));
        const live = await this.etcd.timeToLive(h.lease, deadline).catch(() => null);
        const waiting = queue.filter((q) => q.key.startsWith(`${LOCK_QUEUE_PREFIX}${name}/`) && !q.key.slice(`${LOCK_QUEUE_PREFIX}${name}/`.length).includes('/'));
        // etcd keeps no renewal count, and renews in its leader's memory: shown as 0 and the grant's time.
        const lease = record ? { ttlMs: record.ttlMs, ttlLeftMs: live && live.ttlSeconds >= 0 ? live.ttlSeconds * 1000 : null, renewals: 0, grantedAtMs: record.grantedAtMs, renewedAtMs: record.grantedAtMs } : null;
        return lockView(kv, lease, waiting);
      }),
    );
    return { locks, revision: s.revision };
  }

  // ---- the hand-over reactor -------------------------------------------------------------------------------------

  private startReactor(): void {
    const handOver = (resource: string): void => {
      if (this.isStopped) return;
      void this.leases.handOver(resource, this.opts.scheduler.now() + 5000).catch(() => undefined);
    };
    this.subscribe(
      { key: LOCK_PREFIX, prefix: true, fromRevision: 0 },
      {
        onBatch: (b) => {
          for (const e of b.events) if (e.type === 'delete') handOver(e.kv.key.slice(LOCK_PREFIX.length));
        },
        // The sweep covers what the watch misses while it is down; EtcdWatch reconnects by itself.
        onError: () => undefined,
      },
    );
    let isSweeping = false;
    const sweep = (): void => {
      if (isSweeping || this.isStopped) return;
      isSweeping = true;
      void this.leases
        .sweep(this.opts.scheduler.now() + 5000)
        .catch(() => undefined)
        .finally(() => {
          isSweeping = false;
        });
    };
    sweep();
    const stopSweep = this.opts.scheduler.every(SWEEP_EVERY_MS, sweep);
    const stop = (): void => {
      this.stops.delete(stop);
      stopSweep();
    };
    this.stops.add(stop);
  }
}

interface WatchResponse {
  header: EtcdHeader;
  watch_id: string;
  created: boolean;
  canceled: boolean;
  compact_revision: string;
  cancel_reason: string;
  events: EtcdEvent[];
}

/**
 * One subscription as an etcd Watch stream: events from `fromRevision`, with prev_kv (ccm's events carry the value
 * before a change), progress notifications. A broken stream is opened again (on the next endpoint) from the revision
 * after the last one delivered; a compacted start ends it with CcmError 'compacted'.
 */
class EtcdWatch {
  private stream: ClientDuplexStream<unknown, unknown> | null = null;
  private nextRevision: number;
  private isStopped = false;
  private retryMs: number = WATCH_RETRY_MS[0];
  private cancelRetry: () => void = () => undefined;
  private isCreatedOnce = false;
  /** For a watch from now: the revision it was pinned to. */
  private anchoredAt: number | null = null;

  constructor(
    private readonly rpc: EtcdRpc,
    private readonly scheduler: Scheduler,
    private readonly spec: WatchSpec,
    private readonly handlers: WatchHandlers,
    private readonly onCompacted: (revision: number) => void,
  ) {
    this.nextRevision = spec.fromRevision;
  }

  start(): void {
    if (this.isStopped) return;
    // "From now" is pinned to a revision first, so a stream that breaks before etcd confirms it resumes without a gap.
    if (this.nextRevision === 0) {
      void this.anchor();
      return;
    }
    let opened: ReturnType<EtcdRpc['stream']>;
    try {
      opened = this.rpc.stream('Watch', 'Watch');
    } catch (err) {
      this.fail(err instanceof CcmError ? err : new CcmError('unavailable', String(err)));
      return;
    }
    const { stream, target } = opened;
    this.stream = stream;
    const span: KeySpan = this.spec.end !== undefined ? { key: this.spec.key, end: this.spec.end } : this.spec.prefix ? prefixSpan(this.spec.key) : { key: this.spec.key };
    stream.on('data', (r: WatchResponse) => {
      // A handler that throws must not throw into grpc-js's event handlers (the event loop): it ends the watch.
      try {
        this.onResponse(r, target);
      } catch (err) {
        this.fail(new CcmError('internal', `a watch handler failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    stream.on('error', () => this.broken(stream, target));
    stream.on('end', () => this.broken(stream, target));
    stream.write({
      create_request: { ...spanBytes(span), start_revision: String(this.nextRevision), progress_notify: true, prev_kv: true },
    });
  }

  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.cancelRetry();
    this.close();
  }

  private async anchor(): Promise<void> {
    try {
      const r = await this.rpc.call<{ header: EtcdHeader }>('KV', 'Range', { key: text(this.spec.key || '\u0000'), count_only: true }, this.scheduler.now() + ANCHOR_TIMEOUT_MS, true);
      if (this.isStopped) return;
      this.anchoredAt = Number(r.header.revision);
      this.nextRevision = this.anchoredAt + 1;
      this.start();
    } catch (err) {
      if (err instanceof CcmError && (err.code === 'unauthenticated' || err.code === 'permission_denied')) {
        this.fail(err);
        return;
      }
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.isStopped) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, WATCH_RETRY_MS[1]);
    this.cancelRetry = this.scheduler.after(wait, () => this.start());
  }

  private close(): void {
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    s.removeAllListeners('data');
    s.on('error', () => undefined);
    s.cancel();
  }

  private onResponse(r: WatchResponse, target: string): void {
    if (this.isStopped) return;
    const revision = Number(r.header.revision);
    if (Number(r.compact_revision) > 0) {
      const compactRevision = Number(r.compact_revision);
      this.onCompacted(compactRevision);
      this.fail(
        new CcmError('compacted', `revision ${this.nextRevision} was compacted on etcd; the oldest revision kept is ${compactRevision}. Read the current state and watch from its revision + 1.`, {
          compactRevision,
          revision,
        }),
      );
      return;
    }
    if (r.canceled) {
      this.fail(new CcmError('unavailable', `etcd ${target} ended the watch: ${r.cancel_reason || 'canceled'}`));
      return;
    }
    this.retryMs = WATCH_RETRY_MS[0];
    if (r.created && !this.isCreatedOnce) {
      this.isCreatedOnce = true;
      // A watch from now starts after the revision it was pinned to; one from a past revision, after the current one.
      this.handlers.onCreated?.(this.anchoredAt ?? revision, `etcd ${target}`);
    }
    if (r.events.length > 0) {
      const events = r.events.map((e) => toWatchEvent(e, this.spec.prevKv === true));
      const last = events[events.length - 1].kv.modRevision;
      this.nextRevision = Math.max(this.nextRevision, last + 1);
      this.handlers.onBatch({ events, revision: Math.max(revision, last) });
    } else if (!r.created) {
      this.nextRevision = Math.max(this.nextRevision, revision + 1);
      this.handlers.onProgress?.(revision);
    }
  }

  /** The stream broke (a member went away): open it again, from where it was, on another endpoint. */
  private broken(stream: ClientDuplexStream<unknown, unknown>, target: string): void {
    if (this.isStopped || stream !== this.stream) return;
    this.close();
    this.rpc.moveOn(target);
    this.retryLater();
  }

  private fail(err: CcmError): void {
    if (this.isStopped) return;
    this.stop();
    try {
      this.handlers.onError(err);
    } catch {
      // The watch has ended either way.
    }
  }
}

