/**
 * ccm's leases and lease-manager commands (grant, renew, revoke; acquire, release, hand-over) on etcd, with the
 * semantics of ccm's state machine (core/state-machine.ts):
 *
 * - A ccm lease is an etcd lease (TTL in whole seconds, rounded up; etcd raises it to its minimum TTL) with an id
 *   chosen here, below 2^48 (ccm's ids are safe integers; etcd's own may not be), and a record key attached to it
 *   (/ccm/etcd-leases/<id>: ttlMs, owner, the secret's hash) that vanishes with it.
 * - A resource's lock key (/ccm/locks/<r>, value {holder, lease}) and each waiter's queue key
 *   (/ccm/lock-queue/<r>/<lease>) are attached to their lease, so etcd deletes them when it expires. The fence
 *   record (/ccm/fences/<r>) is written by every grant and never deleted: its mod_revision is the newest grant's
 *   revision, which is the fencing token (= the lock key's create_revision, as in ccm). A fenced write compares it.
 * - Each command is optimistic, as etcd's STM: read what it needs at one revision, decide, commit one Txn whose
 *   compares say that what it read is unchanged; on a conflict read again (bounded by the deadline).
 * - FIFO: the queue is ordered by create_revision. A grant to a newcomer needs the lock AND the queue empty; a freed
 *   lock (released, revoked, expired) is handed to the oldest waiter by a Txn that compares the lock absent and the
 *   waiter's key unchanged, so it happens once whoever tries (the releasing call, any node's reactor). The new
 *   holder's TTL restarts at the hand-over (a keep-alive), as in ccm.
 */
import { randomInt } from 'node:crypto';
import { CcmError } from '../errors/ccm-error.js';
import type { Command } from '../core/commands.js';
import { readLockValue } from '../core/kv-schemas.js';
import { prefixSpan } from '../core/key-span.js';
import { FENCE_PREFIX, LOCK_PREFIX, LOCK_QUEUE_PREFIX, RESERVED_PREFIX, type KeyValue } from '../core/kv-types.js';
import { holderOf, MAX_WAITERS_PER_RESOURCE, type ApplyResult } from '../core/state-machine.js';
import type { Scheduler } from '../time/scheduler.js';
import { absent, BY_CREATION, deleteOp, modIs, putOp, rangeOp, toKeyValue } from './etcd-codec.js';
import type { EtcdOps } from './etcd-ops.js';

export const LEASE_RECORD_PREFIX = `${RESERVED_PREFIX}etcd-leases/`;

/** What a ccm lease keeps beside its etcd lease. */
export interface LeaseRecord {
  ttlMs: number;
  owner: string;
  secretHash: string;
  grantedAtMs: number;
}

/** A command's read-decide-commit rounds before it gives up on contention. */
const MAX_ROUNDS = 16;

export const leaseRecordKey = (id: number): string => LEASE_RECORD_PREFIX + String(id);
const lockKey = (resource: string): string => LOCK_PREFIX + resource;
const fenceKey = (resource: string): string => FENCE_PREFIX + resource;
const queuePrefix = (resource: string): string => `${LOCK_QUEUE_PREFIX}${resource}/`;
const queueKey = (resource: string, lease: number): string => queuePrefix(resource) + String(lease).padStart(16, '0');

/** etcd's TTL for ccm's: whole seconds, rounded up. */
export const ttlSecondsOf = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs / 1000));

export function readLeaseRecord(kv: KeyValue | null | undefined): LeaseRecord | null {
  if (!kv) return null;
  try {
    const r = JSON.parse(kv.value) as Partial<LeaseRecord>;
    return { ttlMs: Number(r.ttlMs) || 0, owner: String(r.owner ?? ''), secretHash: String(r.secretHash ?? ''), grantedAtMs: Number(r.grantedAtMs) || 0 };
  } catch {
    return null;
  }
}

function isSecretOf(record: LeaseRecord, secretHash: string | undefined): boolean {
  return record.secretHash === '' || secretHash === record.secretHash;
}

function wrongSecret(id: number): CcmError {
  return new CcmError('permission_denied', `lease ${id}: wrong or missing secret (renewing or ending a lease needs the secret its grant returned to the holder)`);
}

function leaseGone(id: number): CcmError {
  return new CcmError('not_found', `lease ${id} not found (it expired or was revoked)`);
}

type Result<O extends string> = Extract<ApplyResult, { op: O }>;

export class EtcdLeases {
  constructor(
    private readonly etcd: EtcdOps,
    private readonly scheduler: Scheduler,
  ) {}

  /** A new etcd lease with an id of ours (below 2^48; a taken id is drawn again), or the id the caller chose. */
  async grantEtcdLease(ttlMs: number, deadline: number, chosen?: number): Promise<{ id: number; ttlSeconds: number }> {
    for (let attempt = 0; ; attempt++) {
      const id = chosen ?? randomInt(1, 2 ** 48);
      try {
        return await this.etcd.leaseGrant(id, ttlSecondsOf(ttlMs), deadline);
      } catch (err) {
        if (err instanceof CcmError && err.code === 'already_exists') {
          if (chosen !== undefined) throw new CcmError('already_exists', `lease ${chosen} already exists`, { lease: chosen });
          if (attempt < 3) continue;
        }
        throw err;
      }
    }
  }

  async grant(c: Extract<Command, { op: 'lease-grant' }>, deadline: number): Promise<Result<'lease-grant'>> {
    const lease = await this.grantEtcdLease(c.ttlMs, deadline, c.id);
    const record: LeaseRecord = { ttlMs: c.ttlMs, owner: c.owner ?? '', secretHash: c.secretHash ?? '', grantedAtMs: c.atMs };
    try {
      const r = await this.etcd.put(leaseRecordKey(lease.id), JSON.stringify(record), lease.id, deadline);
      return { op: 'lease-grant', id: lease.id, ttlMs: Math.max(c.ttlMs, lease.ttlSeconds * 1000), revision: Number(r.header.revision) };
    } catch (err) {
      void this.etcd.leaseRevoke(lease.id, this.scheduler.now() + 3000).catch(() => undefined);
      throw err;
    }
  }

  /** The lease's record (null: no such ccm lease), with the lock of `resource` when asked, read together. */
  private async recordAndLock(id: number, resource: string | undefined, deadline: number): Promise<{ record: LeaseRecord | null; lock: KeyValue | null; queued: boolean; waiters: number; revision: number }> {
    const reads = [rangeOp({ key: leaseRecordKey(id) })];
    if (resource !== undefined) {
      reads.push(rangeOp({ key: lockKey(resource) }), rangeOp({ key: queueKey(resource, id) }), rangeOp(prefixSpan(queuePrefix(resource)), { count_only: true }));
    }
    const s = await this.etcd.snapshot(reads, deadline);
    return {
      record: readLeaseRecord(s.ranges[0][0] ? toKeyValue(s.ranges[0][0]) : null),
      lock: s.ranges[1]?.[0] ? toKeyValue(s.ranges[1][0]) : null,
      queued: (s.ranges[2]?.length ?? 0) > 0,
      waiters: s.counts[3] ?? 0,
      revision: s.revision,
    };
  }

  async renew(c: Extract<Command, { op: 'lease-renew' }>, deadline: number): Promise<Result<'lease-renew'>> {
    const { record, lock } = await this.recordAndLock(c.id, c.resource, deadline);
    if (!record) throw leaseGone(c.id);
    if (!isSecretOf(record, c.secretHash)) throw wrongSecret(c.id);
    if (c.resource !== undefined) {
      const holder = lock ? holderOf(lock) : null;
      if (!holder || holder.lease !== c.id) {
        throw new CcmError('failed_precondition', `lease ${c.id} does not hold ${c.resource}${holder ? ` (${holder.holder} holds it with lease ${holder.lease})` : ' (it is free)'}`);
      }
    }
    const ttl = await this.etcd.keepAliveOnce(c.id, deadline);
    if (ttl <= 0) throw leaseGone(c.id);
    // etcd keeps no count of keep-alives: renewals are not tracked on this backend.
    return { op: 'lease-renew', id: c.id, ttlMs: Math.max(record.ttlMs, ttl * 1000), renewals: 0 };
  }

  async revoke(c: Extract<Command, { op: 'lease-revoke' }>, deadline: number): Promise<Result<'lease-revoke'>> {
    const { record } = await this.recordAndLock(c.id, undefined, deadline);
    const live = await this.etcd.timeToLive(c.id, deadline);
    if (live.ttlSeconds < 0 || (!record && c.bySystem !== true)) throw leaseGone(c.id);
    if (record && c.bySystem !== true && !isSecretOf(record, c.secretHash)) throw wrongSecret(c.id);
    const revision = await this.etcd.leaseRevoke(c.id, deadline);
    const keys = live.keys.filter((k) => k !== leaseRecordKey(c.id));
    let last = revision;
    for (const k of keys) {
      if (!k.startsWith(LOCK_PREFIX)) continue;
      const next = await this.handOver(k.slice(LOCK_PREFIX.length), deadline).catch(() => null);
      if (next) last = Math.max(last, next.revision);
    }
    return { op: 'lease-revoke', id: c.id, revision: last, deletedKeys: keys.length };
  }

  async acquire(c: Extract<Command, { op: 'acquire' }>, deadline: number): Promise<Result<'acquire'>> {
    const record: LeaseRecord = { ttlMs: c.ttlMs, owner: `${c.holder}@${c.resource}`, secretHash: c.secretHash ?? '', grantedAtMs: c.atMs };
    let lease: number | null = null;
    const leaseOnce = async (): Promise<number> => (lease ??= (await this.grantEtcdLease(c.ttlMs, deadline)).id);
    const lockValue = (id: number): string => JSON.stringify({ holder: c.holder, lease: id });
    try {
      // What the last failed grant read: the first round assumes the resource free (one Txn grants it, or reads why not).
      let seen: { lock: KeyValue | null; waiters: number } | null = null;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const lookFirst = [rangeOp({ key: lockKey(c.resource) }), rangeOp(prefixSpan(queuePrefix(c.resource)), { count_only: true })];
        if (seen === null || (!seen.lock && seen.waiters === 0)) {
          const id = await leaseOnce();
          const r = await this.etcd.txn(
            [absent({ key: lockKey(c.resource) }), absent(prefixSpan(queuePrefix(c.resource)))],
            [putOp(lockKey(c.resource), lockValue(id), id), putOp(fenceKey(c.resource), lockValue(id)), putOp(leaseRecordKey(id), JSON.stringify(record), id)],
            lookFirst,
            deadline,
          );
          if (r.succeeded) {
            const token = Number(r.header.revision);
            lease = null; // kept: it is the grant's
            return { op: 'acquire', granted: true, resource: c.resource, holder: c.holder, lease: id, token, ttlMs: c.ttlMs, revision: token };
          }
          const [lockRead, queueRead] = r.responses;
          seen = {
            lock: lockRead?.response === 'response_range' && lockRead.response_range.kvs[0] ? toKeyValue(lockRead.response_range.kvs[0]) : null,
            waiters: queueRead?.response === 'response_range' ? Number(queueRead.response_range.count) : 0,
          };
        } else {
          const s = await this.etcd.snapshot(lookFirst, deadline);
          seen = { lock: s.ranges[0][0] ? toKeyValue(s.ranges[0][0]) : null, waiters: s.counts[1] };
        }
        const { lock, waiters } = seen;
        if (!lock) {
          if (waiters > 0) {
            // Freed, and someone waits: the oldest waiter gets it first (FIFO), then we queue behind.
            await this.handOver(c.resource, deadline);
            seen = null;
          }
          continue;
        }
        const heldBy = holderOf(lock);
        if (!c.wait) return { op: 'acquire', granted: false, queued: false, resource: c.resource, heldBy };
        if (waiters >= MAX_WAITERS_PER_RESOURCE) {
          throw new CcmError('resource_exhausted', `${c.resource} already has ${MAX_WAITERS_PER_RESOURCE} waiters; try again later`, { limit: 'waiters_per_resource', heldBy });
        }
        const id = await leaseOnce();
        const r = await this.etcd.txn(
          [modIs(lockKey(c.resource), lock.modRevision)],
          [putOp(queueKey(c.resource, id), lockValue(id), id), putOp(leaseRecordKey(id), JSON.stringify(record), id), rangeOp(prefixSpan(queuePrefix(c.resource)), { count_only: true })],
          [],
          deadline,
        );
        if (!r.succeeded) {
          seen = null;
          continue;
        }
        const counted = r.responses[2];
        // Every key in the queue now was made before ours: the count is our place in line.
        const position = counted?.response === 'response_range' ? Number(counted.response_range.count) : waiters + 1;
        lease = null;
        return { op: 'acquire', granted: false, queued: true, resource: c.resource, lease: id, position, heldBy };
      }
      throw new CcmError('conflict', `acquire ${c.resource}: the lock kept changing under ${MAX_ROUNDS} attempts; try again`);
    } finally {
      // A lease granted for an attempt that did not end in a grant or a queue entry.
      if (lease !== null) void this.etcd.leaseRevoke(lease, this.scheduler.now() + 3000).catch(() => undefined);
    }
  }

  async release(c: Extract<Command, { op: 'release' }>, deadline: number): Promise<Result<'release'>> {
    const { record, lock, queued, waiters } = await this.recordAndLock(c.lease, c.resource, deadline);
    if (!record) throw new CcmError('not_found', `lease ${c.lease} not found: it expired or was released already`);
    if (!isSecretOf(record, c.secretHash)) throw wrongSecret(c.lease);
    const holder = lock ? holderOf(lock) : null;
    if ((!holder || holder.lease !== c.lease) && !queued) {
      throw new CcmError('failed_precondition', `lease ${c.lease} does not hold ${c.resource}${holder ? ` (held by lease ${holder.lease})` : ' (it is free)'}`);
    }
    const revision = await this.etcd.leaseRevoke(c.lease, deadline);
    // Nobody waited when we looked: no hand-over to make (one who queued since is promoted by a reactor, on the lock key's deletion).
    let next = waiters > (queued ? 1 : 0) ? await this.handOver(c.resource, deadline) : null;
    if (!next && holder?.lease === c.lease && waiters > (queued ? 1 : 0)) {
      // A reactor (watching the lock key's deletion) may have handed it over first: that hand-over was this release's.
      const now = await this.etcd.get(lockKey(c.resource), deadline);
      const h = now ? holderOf(now) : null;
      if (h && h.lease !== c.lease && h.token > revision - 1) next = { holder: h.holder, lease: h.lease, revision: h.token };
    }
    return { op: 'release', resource: c.resource, lease: c.lease, revision: next?.revision ?? revision, ...(next ? { nextHolder: next.holder } : {}) };
  }

  /**
   * A free resource passes to its oldest waiter (by create_revision). Once, whoever calls it: the Txn compares the
   * lock absent and the waiter's key unchanged. Null when the resource is held or nobody waits.
   */
  async handOver(resource: string, deadline: number): Promise<{ holder: string; lease: number; revision: number } | null> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const s = await this.etcd.snapshot([rangeOp({ key: lockKey(resource) }), rangeOp(prefixSpan(queuePrefix(resource)), { ...BY_CREATION, limit: '1' })], deadline);
      if (s.ranges[0].length > 0 || s.ranges[1].length === 0) return null;
      const head = toKeyValue(s.ranges[1][0]);
      const waiter = readLockValue(head.value);
      if (!waiter || waiter.lease !== head.lease) {
        // Not a queue entry ccm wrote: dropped, as the state machine drops a waiter whose lease is gone.
        await this.etcd.txn([modIs(head.key, head.modRevision)], [deleteOp({ key: head.key })], [], deadline);
        continue;
      }
      const value = JSON.stringify({ holder: waiter.holder, lease: waiter.lease });
      let r;
      try {
        r = await this.etcd.txn(
          [absent({ key: lockKey(resource) }), modIs(head.key, head.modRevision)],
          [deleteOp({ key: head.key }), putOp(lockKey(resource), value, waiter.lease), putOp(fenceKey(resource), value)],
          [],
          deadline,
        );
      } catch (err) {
        // The waiter's lease ended in between (etcd deleted its queue key with it): the next one.
        if (err instanceof CcmError && err.code === 'not_found') continue;
        throw err;
      }
      if (!r.succeeded) continue;
      // The TTL starts again at the hand-over: the new holder's clock starts when it gets the resource.
      await this.etcd.keepAliveOnce(waiter.lease, deadline).catch(() => undefined);
      return { holder: waiter.holder, lease: waiter.lease, revision: Number(r.header.revision) };
    }
    throw new CcmError('conflict', `hand-over of ${resource}: the queue kept changing under ${MAX_ROUNDS} attempts`);
  }

  /** Every resource with waiters but no holder: handed over (a reactor's sweep, after a watch gap or at start). */
  async sweep(deadline: number): Promise<void> {
    const s = await this.etcd.snapshot([rangeOp(prefixSpan(LOCK_QUEUE_PREFIX), { keys_only: true }), rangeOp(prefixSpan(LOCK_PREFIX), { keys_only: true })], deadline);
    const held = new Set(s.ranges[1].map((kv) => kv.key.toString('utf8').slice(LOCK_PREFIX.length)));
    const waiting = new Set(
      s.ranges[0].map((kv) => {
        const rest = kv.key.toString('utf8').slice(LOCK_QUEUE_PREFIX.length);
        return rest.slice(0, rest.lastIndexOf('/'));
      }),
    );
    for (const resource of waiting) if (!held.has(resource)) await this.handOver(resource, deadline);
  }
}
