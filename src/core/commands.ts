import { CcmError } from '../errors/ccm-error.js';
import { MAX_KEY_BYTES, MAX_LEASE_TTL_MS, MAX_VALUE_BYTES, MIN_LEASE_TTL_MS, RESERVED_PREFIX } from './kv-types.js';
import type { Command, Compare, CompareOp, Fence, TxnOp } from './command-schemas.js';

/**
 * Commands: what a Raft entry carries (as JSON). Every replica applies the same commands in the same order,
 * so applying must be deterministic: no clocks, no randomness. Times inside a command (`atMs`) are the
 * proposer's wall clock, kept for display only. Their shapes are schemas (command-schemas.ts, which also holds
 * commandProblem: the schema plus the rules below, checked before a command is proposed and when it is applied).
 * The validators here name the field and its legal range; the CLI uses them too, without loading the schemas.
 */
export type { Command, Compare, CompareOp, Fence, TxnOp };

export function encodeCommand(c: Command): string {
  return JSON.stringify(c);
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
export function validateSpanKey(key: unknown, end: unknown, what = 'key'): string {
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
export const MAX_TXN_COMPARES = 128;

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

/** A fence from an API body ({resource, token}). */
export function validateFence(value: unknown): Fence {
  const f = value as Record<string, unknown> | null;
  if (typeof f !== 'object' || f === null) throw new CcmError('invalid_argument', 'fence must be {"resource": name, "token": n}');
  const resource = validateResource(f.resource);
  if (typeof f.token !== 'number' || !Number.isSafeInteger(f.token) || f.token <= 0) {
    throw new CcmError('invalid_argument', `fence token must be a positive whole number (the token a grant of ${resource} returned)`);
  }
  return { resource, token: f.token };
}

/** `<resource>:<token>` (the CLI's --fence, the HTTP query's fence=): the token after the last colon. */
export function parseFence(text: string): Fence {
  const at = text.lastIndexOf(':');
  const resource = at > 0 ? text.slice(0, at) : '';
  const tokenText = at > 0 ? text.slice(at + 1) : '';
  if (!resource || !/^[0-9]+$/.test(tokenText)) {
    throw new CcmError('invalid_argument', `fence ${JSON.stringify(text)} is malformed: use <resource>:<token>, e.g. db-migration:42 (the token ccm lease acquire printed)`);
  }
  return validateFence({ resource, token: Number(tokenText) });
}
