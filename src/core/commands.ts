import { CcmError } from '../client/api-errors.js';
import { MAX_KEY_BYTES, MAX_LEASE_TTL_MS, MAX_VALUE_BYTES, MIN_LEASE_TTL_MS, RESERVED_PREFIX } from './kv-types.js';

/**
 * Commands: what a Raft entry carries (as JSON). Every replica applies the same commands in the same order,
 * so applying must be deterministic: no clocks, no randomness. Times inside a command (`atMs`) are the
 * proposer's wall clock, kept for display only.
 */
export type CompareOp = '=' | '!=' | '<' | '>';

/**
 * A condition of a txn. Without `end`, on one key: a missing key has create/mod revision, version and lease 0, and
 * no value (its value is != anything, and neither =, < nor > anything). With `end` (a span, as etcd's range_end:
 * null for every key from `key` on), it holds when every key in the span passes; an empty span is compared as one
 * missing key, except that a value compare then fails (etcd's rule).
 */
export type Compare =
  | { key: string; end?: string | null; target: 'mod' | 'create' | 'version' | 'lease'; op: CompareOp; value: number }
  | { key: string; end?: string | null; target: 'value'; op: CompareOp; value: string };

/**
 * One operation of a txn (the keys as a KeySpan: `prefix`, or `end` as etcd's range_end; see core/key-span.ts).
 * - put: `ignoreValue` / `ignoreLease` keep the key's current value / lease (the key must exist);
 * - delete: `prevKvs` returns the deleted keys; `keepReserved` leaves ccm's own keys (under /ccm/) in the span alone;
 * - get: at `revision` (0 or absent: now), at most `limit` keys (0 or absent: all) with `count` the total, or only
 *   the count (`countOnly`);
 * - txn: a nested txn, whose compares are evaluated with the outer ones, before any operation runs (as etcd).
 */
export type TxnOp =
  | { op: 'put'; key: string; value: string; lease?: number; ignoreValue?: boolean; ignoreLease?: boolean }
  | { op: 'delete'; key: string; prefix?: boolean; end?: string | null; prevKvs?: boolean; keepReserved?: boolean }
  | { op: 'get'; key: string; prefix?: boolean; end?: string | null; revision?: number; limit?: number; countOnly?: boolean }
  | { op: 'txn'; compare: Compare[]; success: TxnOp[]; failure: TxnOp[] };

export type Command =
  | Extract<TxnOp, { op: 'put' }>
  | Extract<TxnOp, { op: 'delete' }>
  | { op: 'txn'; compare: Compare[]; success: TxnOp[]; failure: TxnOp[] }
  /** `id`: the lease id the client chose (etcd's LeaseGrant ID); else the entry's index. */
  | { op: 'lease-grant'; ttlMs: number; owner?: string; atMs: number; id?: number }
  /** With `resource`, only if this lease holds it (a holder renewing), else any lease. */
  | { op: 'lease-renew'; id: number; atMs: number; resource?: string }
  | { op: 'lease-revoke'; id: number }
  /** Proposed by the leader when a lease's TTL ran out; ignored if the lease was renewed since (renewals differ). */
  | { op: 'lease-expire'; id: number; renewals: number }
  /** Lease manager: grant a lease and take `resource` with it if free; else queue (wait) or report the holder. */
  | { op: 'acquire'; resource: string; holder: string; ttlMs: number; wait: boolean; atMs: number }
  /** Join the queue / take the resource with an existing lease (a waiter that re-queues, or election). */
  | { op: 'release'; resource: string; lease: number }
  | { op: 'compact'; revision: number };

export function encodeCommand(c: Command): string {
  return JSON.stringify(c);
}

export function decodeCommand(data: string): Command {
  return JSON.parse(data) as Command;
}

/** A key is non-empty well-formed text of at most MAX_KEY_BYTES bytes, with no NUL. */
export function validateKey(key: unknown, what = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) throw new CcmError('invalid_argument', `${what} must be a non-empty string`);
  if (!key.isWellFormed()) throw new CcmError('invalid_argument', `${what} is not valid UTF-8 text`);
  if (key.includes('\0')) throw new CcmError('invalid_argument', `${what} must not contain NUL characters`);
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) throw new CcmError('invalid_argument', `${what} is ${bytes} bytes; the limit is ${MAX_KEY_BYTES}`);
  return key;
}

export function validateValue(value: unknown): string {
  if (typeof value !== 'string') throw new CcmError('invalid_argument', 'value must be a string');
  if (!value.isWellFormed()) throw new CcmError('invalid_argument', 'value is not valid UTF-8 text');
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_VALUE_BYTES) throw new CcmError('invalid_argument', `value is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`);
  return value;
}

/** User writes may not touch ccm's own keys (the services keep invariants there). */
export function validateUserWriteKey(key: unknown): string {
  const k = validateKey(key);
  if (k.startsWith(RESERVED_PREFIX)) {
    throw new CcmError('invalid_argument', `keys under ${RESERVED_PREFIX} belong to ccm's services (leases, config, registry, election); use those commands`);
  }
  return k;
}

export function validateTtlMs(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || !Number.isInteger(ttlMs)) {
    throw new CcmError('invalid_argument', 'ttl must be a whole number of milliseconds');
  }
  if (ttlMs < MIN_LEASE_TTL_MS || ttlMs > MAX_LEASE_TTL_MS) {
    throw new CcmError('invalid_argument', `ttl ${ttlMs} ms is out of range: use 1s to 7d`);
  }
  return ttlMs;
}

export function validateLeaseId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new CcmError('invalid_argument', 'lease id must be a positive integer');
  return id;
}

export function validateRevision(rev: unknown, what = 'revision'): number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) throw new CcmError('invalid_argument', `${what} must be a whole number >= 0`);
  return rev;
}

/** A span's end (etcd's range_end): null for no upper bound, else text bounded like a key ('' allowed: an empty span). */
export function validateSpanEnd(end: unknown, what = 'range end'): string | null | undefined {
  if (end === undefined || end === null) return end;
  if (typeof end !== 'string' || !end.isWellFormed()) throw new CcmError('invalid_argument', `${what} must be text or null`);
  const bytes = Buffer.byteLength(end);
  if (bytes > MAX_KEY_BYTES + 4) throw new CcmError('invalid_argument', `${what} is ${bytes} bytes; the limit is ${MAX_KEY_BYTES + 4}`);
  return end;
}

/** A span's first key: with an end, '' (from the first key) is allowed. */
function validateSpanKey(key: unknown, end: unknown, what = 'key'): string {
  if (end !== undefined && key === '') return key;
  return validateKey(key, what);
}

export function validateCompare(c: unknown): Compare {
  const x = c as Record<string, unknown>;
  if (typeof x !== 'object' || x === null) throw new CcmError('invalid_argument', 'a compare must be an object');
  validateSpanEnd(x.end, 'compare end');
  validateSpanKey(x.key, x.end, 'compare key');
  if (!['=', '!=', '<', '>'].includes(x.op as string)) throw new CcmError('invalid_argument', 'compare op must be =, !=, < or >');
  if (x.target === 'value') {
    validateValue(x.value);
  } else if (x.target === 'mod' || x.target === 'create' || x.target === 'version' || x.target === 'lease') {
    validateRevision(x.value, `compare ${x.target}`);
  } else {
    throw new CcmError('invalid_argument', 'compare target must be mod, create, version, lease or value');
  }
  return x as unknown as Compare;
}

/** Txn limits (etcd's --max-txn-ops is 128): per branch, and for a nested txn what its parent leaves (as etcd). */
export const MAX_TXN_OPS = 128;

export function validateTxnOps(ops: unknown, user: boolean, budget = MAX_TXN_OPS): TxnOp[] {
  if (!Array.isArray(ops)) throw new CcmError('invalid_argument', 'txn ops must be a list');
  if (ops.length > budget) throw new CcmError('invalid_argument', `a txn takes at most ${MAX_TXN_OPS} ops per branch (nested txns share it)`);
  return ops.map((o) => {
    const x = o as Record<string, unknown>;
    if (x?.op === 'put') {
      if (user) validateUserWriteKey(x.key);
      else validateKey(x.key);
      validateValue(x.value);
      if (x.lease !== undefined && x.lease !== 0) validateLeaseId(x.lease);
    } else if (x?.op === 'delete') {
      validateSpanEnd(x.end);
      const key = validateSpanKey(x.key, x.end);
      if (user && key.startsWith(RESERVED_PREFIX)) validateUserWriteKey(key);
    } else if (x?.op === 'get') {
      validateSpanEnd(x.end);
      validateSpanKey(x.key, x.end);
      if (x.revision !== undefined) validateRevision(x.revision);
      if (x.limit !== undefined) validateRevision(x.limit, 'limit');
    } else if (x?.op === 'txn') {
      if (!Array.isArray(x.compare)) throw new CcmError('invalid_argument', 'a nested txn needs a "compare" list');
      const used = Math.max(x.compare.length, Array.isArray(x.success) ? x.success.length : 0, Array.isArray(x.failure) ? x.failure.length : 0);
      if (used > budget) throw new CcmError('invalid_argument', `a txn takes at most ${MAX_TXN_OPS} ops per branch (nested txns share it)`);
      x.compare.forEach(validateCompare);
      validateTxnOps(x.success ?? [], user, budget - ops.length);
      validateTxnOps(x.failure ?? [], user, budget - ops.length);
    } else {
      throw new CcmError('invalid_argument', 'txn op must be put, delete, get or txn');
    }
    return x as unknown as TxnOp;
  });
}

const RESOURCE_PATTERN = /^[A-Za-z0-9._:/-]{1,256}$/;

/** A lease-manager resource name: 1-256 of letters, digits and . _ : / - */
export function validateResource(resource: unknown): string {
  if (typeof resource !== 'string' || !RESOURCE_PATTERN.test(resource)) {
    throw new CcmError('invalid_argument', `resource name ${JSON.stringify(resource)} is invalid: use 1-256 letters, digits and . _ : / -`);
  }
  return resource;
}

/** A holder name, shown to everyone who finds the resource taken. */
export function validateHolder(holder: unknown): string {
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 256 || !holder.isWellFormed()) {
    throw new CcmError('invalid_argument', 'holder must be 1-256 characters of text');
  }
  return holder;
}
