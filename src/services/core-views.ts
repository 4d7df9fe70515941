import type { LeaseView, LockView } from '../api/api-types.js';
import { readLockValue } from '../core/kv-schemas.js';
import { LOCK_PREFIX, LOCK_QUEUE_PREFIX, type KeyValue, type Lease } from '../core/kv-types.js';
import { holderOf } from '../core/state-machine.js';
import type { StateStore } from '../core/state-store.js';

/**
 * How a replica of the core shows leases and lease-manager resources from its applied state: the answers to the
 * port's `leases`, `lease` and `locks` reads, wherever the core runs (the node's replica, the simulated core).
 */

/** A lease as the API shows it (never its secret); `ttlLeftMs` by the answering replica's clock (null: no timer). */
export function leaseView(state: StateStore, lease: Lease, ttlLeftMs: number | null): LeaseView {
  const { secretHash: _hidden, ...shown } = lease;
  return { ...shown, ttlLeftMs, keys: state.keysWithLease(lease.id) };
}

/** One resource (or every one) of the lease manager: its holder and lease, and who waits in line. */
export function lockViews(state: StateStore, resource: string | undefined, ttlLeftMs: (lease: number) => number | null): LockView[] {
  const kvs = resource !== undefined ? state.range(LOCK_PREFIX + resource, false) : state.range(LOCK_PREFIX, true);
  return kvs.map((kv): LockView => {
    const name = kv.key.slice(LOCK_PREFIX.length);
    const lease = state.getLease(holderOf(kv).lease);
    return lockView(kv, lease ? leaseView(state, lease, ttlLeftMs(lease.id)) : null, state.range(`${LOCK_QUEUE_PREFIX}${name}/`, true));
  });
}

/** The lease figures a lock view shows of its holder's lease (absent: the lease is gone or unknown). */
export type HolderLease = Pick<LeaseView, 'ttlMs' | 'ttlLeftMs' | 'renewals' | 'grantedAtMs' | 'renewedAtMs'>;

/** A resource's view from its lock key, its holder's lease and its queue keys (oldest first): on any core. */
export function lockView(lockKv: KeyValue, lease: HolderLease | null, queue: KeyValue[]): LockView {
  const h = holderOf(lockKv);
  const waiting = queue.map((q) => {
    const w = readLockValue(q.value) ?? { holder: '(unreadable)', lease: 0 };
    return { holder: w.holder, lease: w.lease, queuedAtRevision: q.createRevision };
  });
  return {
    resource: lockKv.key.slice(LOCK_PREFIX.length),
    holder: h.holder,
    lease: h.lease,
    token: h.token,
    ttlMs: lease?.ttlMs ?? 0,
    ttlLeftMs: lease?.ttlLeftMs ?? null,
    renewals: lease?.renewals ?? 0,
    grantedAtMs: lease?.grantedAtMs ?? 0,
    renewedAtMs: lease?.renewedAtMs ?? 0,
    waiting,
  };
}
