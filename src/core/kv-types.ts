/** The data the replicated state machine holds, as the API shows it. */

/** One key with its MVCC bookkeeping (etcd's mvccpb.KeyValue). */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was last created (after a delete, a put creates it anew). */
  createRevision: number;
  /** Revision of the last change. */
  modRevision: number;
  /** Number of changes since creation (1 after the first put). */
  version: number;
  /** Lease the key is attached to (0: none). */
  lease: number;
}

/** One change, as watchers receive it. Every command that changes anything gets one revision. */
export interface WatchEvent {
  type: 'put' | 'delete';
  /** The key after the change (for a delete: value empty, modRevision = the deleting revision). */
  kv: KeyValue;
  prevValue?: string;
  /** The key as it was before the change (etcd's prev_kv): only for watchers that ask, and not for a creation. */
  prev?: KeyValue;
}

export interface Lease {
  id: number;
  ttlMs: number;
  grantedRevision: number;
  /** Proposer's wall clock at grant (for display; expiry runs on the leader's monotonic clock). */
  grantedAtMs: number;
  renewedAtMs: number;
  renewals: number;
  owner: string;
  /**
   * SHA-256 (hex) of the secret returned once to whoever was granted the lease: renewing or ending it needs the
   * secret, not just the public id. Never shown ('' for a lease granted before secrets existed).
   */
  secretHash: string;
}

/** Keys under this prefix belong to ccm's services; the plain kv API may read them but not write them. */
export const RESERVED_PREFIX = '/ccm/';
export const LOCK_PREFIX = '/ccm/locks/';
export const LOCK_QUEUE_PREFIX = '/ccm/lock-queue/';
/** Per resource, the fencing token of its newest grant (kept after the lock is released: fenced writes check it). */
export const FENCE_PREFIX = '/ccm/fences/';

/** Limits stated in the API docs and enforced at the boundary. */
export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;
export const MIN_LEASE_TTL_MS = 1000;
export const MAX_LEASE_TTL_MS = 7 * 24 * 3_600_000;
