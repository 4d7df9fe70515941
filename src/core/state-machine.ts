import { CcmError, type ErrorCode } from '../errors/ccm-error.js';
import type { Command, Compare, Fence, TxnOp } from './commands.js';
import { decodeCommand } from './command-schemas.js';
import { compareKeys, prefixSpan, type KeySpan } from './key-span.js';
import { readLockValue } from './kv-schemas.js';
import { FENCE_PREFIX, LOCK_PREFIX, LOCK_QUEUE_PREFIX, RESERVED_PREFIX, type KeyValue, type Lease, type WatchEvent } from './kv-types.js';
import type { StateStore } from './state-store.js';

/** What a command's application reports back to whoever proposed it. Errors are results too: applying never throws. */
export type ApplyResult =
  | { op: 'put'; revision: number; prev?: KeyValue }
  | { op: 'delete'; revision: number; deleted: number; prev?: KeyValue[] }
  | { op: 'txn'; succeeded: boolean; revision: number; results: TxnOpResult[] }
  | { op: 'lease-grant'; id: number; ttlMs: number; revision: number }
  | { op: 'lease-renew'; id: number; ttlMs: number; renewals: number }
  | { op: 'lease-revoke'; id: number; revision: number; deletedKeys: number }
  | { op: 'lease-expire'; id: number; expired: boolean }
  | AcquireResult
  | { op: 'release'; resource: string; lease: number; revision: number; nextHolder?: string }
  /** `previous`: the compaction point before this command (a request at or below it changed nothing). */
  | { op: 'compact'; revision: number; previous: number }
  | { op: 'conf-change'; voters: string[]; learners: string[] }
  | { op: 'error'; code: ErrorCode; message: string; details?: unknown };

/**
 * What each txn operation did. `prev` of a put: the key before it; of a delete (with prevKvs): the keys it deleted.
 * `count` of a get (with a limit, revision or countOnly): how many keys the span holds in all.
 */
export type TxnOpResult =
  | { op: 'put'; prev?: KeyValue }
  | { op: 'delete'; deleted: number; prev?: KeyValue[] }
  | { op: 'get'; kvs: KeyValue[]; count?: number }
  | { op: 'txn'; succeeded: boolean; results: TxnOpResult[] };

export type AcquireResult =
  | { op: 'acquire'; granted: true; resource: string; holder: string; lease: number; token: number; ttlMs: number; revision: number }
  | { op: 'acquire'; granted: false; queued: true; resource: string; lease: number; position: number; heldBy: LockHolder }
  | { op: 'acquire'; granted: false; queued: false; resource: string; heldBy: LockHolder };

export interface LockHolder {
  holder: string;
  lease: number;
  token: number;
}

/** Side effects the node needs to know about after an apply: which leases changed (expiry tracking), which events happened (watches). */
export interface ApplyEffects {
  events: WatchEvent[];
  /** Leases granted or renewed by this command (their TTL clock restarts now). */
  leasesTouched: Lease[];
  leasesRemoved: number[];
}

export interface Applied {
  result: ApplyResult;
  effects: ApplyEffects;
  /** Set when the entry was not a valid command: why (the result is then an invalid_argument error). */
  rejected?: string;
}

/** A queue may hold this many waiters per resource; one more is refused (deterministically, on every replica). */
export const MAX_WAITERS_PER_RESOURCE = 1024;

const NO_EFFECTS = (): ApplyEffects => ({ events: [], leasesTouched: [], leasesRemoved: [] });

/**
 * Applies one committed entry's data. Total: data that is not a valid command (it should never have been proposed,
 * but a log may hold one from a forged or older proposer) becomes the same error result on every replica, and a
 * restart replays it as harmlessly.
 */
export function applyCommandData(store: StateStore, data: string, index: number, opts: { unsafeSkipValidation?: boolean } = {}): Applied {
  // TEST-ONLY (CCM_UNSAFE_SKIP_VALIDATION=1, for the fuzz suite to show it can fail): apply whatever the entry holds.
  if (opts.unsafeSkipValidation) return applyCommand(store, JSON.parse(data) as Command, index);
  const command = decodeCommand(data);
  if ('problem' in command) {
    const message = `entry ${index} is not a valid command: ${command.problem}`;
    return { result: { op: 'error', code: 'invalid_argument', message }, effects: NO_EFFECTS(), rejected: command.problem };
  }
  return applyCommand(store, command, index);
}

/**
 * Applies one committed command. Deterministic: the same store and command give the same result on every
 * replica. `index` is the Raft index of the entry, used as the id of a lease it grants (unique, and the same
 * everywhere).
 */
export function applyCommand(store: StateStore, command: Command, index: number): Applied {
  const tx = new Change(store);
  const result = apply(tx, command, index);
  if (result.op === 'error') return { result, effects: NO_EFFECTS() };
  tx.handOffFreedLocks();
  tx.finish();
  return { result, effects: tx.effects };
}

function error(code: ErrorCode, message: string, details?: unknown): ApplyResult {
  return { op: 'error', code, message, ...(details === undefined ? {} : { details }) };
}

function apply(tx: Change, c: Command, index: number): ApplyResult {
  if ((c.op === 'put' || c.op === 'delete' || c.op === 'txn') && c.fence !== undefined) {
    const refused = checkFence(tx.store, c.fence);
    if (refused) return refused;
  }
  switch (c.op) {
    case 'put':
    case 'delete': {
      const problem = checkOp(tx.store, c, null, true);
      if (problem) return problem;
      const r = runOp(tx, c, null);
      if (r.op === 'put') return { op: 'put', revision: tx.revision, ...(r.prev ? { prev: r.prev } : {}) };
      if (r.op === 'delete') return { op: 'delete', revision: tx.resultRevision(), deleted: r.deleted, ...(r.prev ? { prev: r.prev } : {}) };
      return error('internal', `unexpected result ${r.op}`);
    }
    case 'txn': {
      // As etcd: every compare on the path (nested txns included) sees the state before the txn, and every operation
      // on it is checked before any runs, so a txn applies whole or not at all.
      const path = choosePath(tx.store, c);
      const problem = checkPath(tx.store, c, path);
      if (problem) return problem;
      const results = runPath(tx, c, path);
      return { op: 'txn', succeeded: path.succeeded, revision: tx.resultRevision(), results };
    }
    case 'lease-grant': {
      if (c.id !== undefined && tx.store.getLease(c.id)) return error('already_exists', `lease ${c.id} already exists`, { lease: c.id });
      const lease = tx.grantLease(c.id ?? tx.freeLeaseId(index), c.ttlMs, c.owner ?? '', c.atMs, c.secretHash ?? '');
      return { op: 'lease-grant', id: lease.id, ttlMs: lease.ttlMs, revision: tx.store.revision() };
    }
    case 'lease-renew': {
      const lease = tx.store.getLease(c.id);
      if (!lease) return error('not_found', `lease ${c.id} not found (it expired or was revoked)`);
      if (!isSecretOf(lease, c.secretHash)) return wrongSecret(lease);
      if (c.resource !== undefined) {
        const lock = tx.store.get(LOCK_PREFIX + c.resource);
        const holder = lock ? holderOf(lock) : null;
        if (!holder || holder.lease !== c.id) {
          return error('failed_precondition', `lease ${c.id} does not hold ${c.resource}${holder ? ` (${holder.holder} holds it with lease ${holder.lease})` : ' (it is free)'}`);
        }
      }
      const renewed = tx.renewLease(lease, c.atMs);
      return { op: 'lease-renew', id: c.id, ttlMs: renewed.ttlMs, renewals: renewed.renewals };
    }
    case 'lease-revoke': {
      const lease = tx.store.getLease(c.id);
      if (!lease) return error('not_found', `lease ${c.id} not found (it expired or was revoked)`);
      if (c.bySystem !== true && !isSecretOf(lease, c.secretHash)) return wrongSecret(lease);
      const deletedKeys = tx.revokeLease(c.id);
      return { op: 'lease-revoke', id: c.id, revision: tx.resultRevision(), deletedKeys };
    }
    case 'lease-expire': {
      const lease = tx.store.getLease(c.id);
      // Renewed since the leader decided (its view was stale): the lease lives on.
      if (!lease || lease.renewals !== c.renewals) return { op: 'lease-expire', id: c.id, expired: false };
      tx.revokeLease(c.id);
      return { op: 'lease-expire', id: c.id, expired: true };
    }
    case 'acquire':
      return acquire(tx, c, index);
    case 'release': {
      const lockKey = LOCK_PREFIX + c.resource;
      const current = tx.store.get(lockKey);
      const lease = tx.store.getLease(c.lease);
      if (!lease) return error('not_found', `lease ${c.lease} not found: it expired or was released already`);
      if (!isSecretOf(lease, c.secretHash)) return wrongSecret(lease);
      if (!current || current.lease !== c.lease) {
        const queued = tx.store.range(`${LOCK_QUEUE_PREFIX}${c.resource}/`, true).some((kv) => kv.lease === c.lease);
        if (!queued) {
          return error('failed_precondition', `lease ${c.lease} does not hold ${c.resource}${current ? ` (held by lease ${current.lease})` : ' (it is free)'}`);
        }
      }
      tx.revokeLease(c.lease);
      tx.handOffFreedLocks();
      const next = tx.store.get(lockKey);
      return { op: 'release', resource: c.resource, lease: c.lease, revision: tx.resultRevision(), ...(next && next.lease !== c.lease ? { nextHolder: parseLock(next).holder } : {}) };
    }
    case 'compact': {
      if (c.revision > tx.store.revision()) {
        return error('invalid_argument', `cannot compact to ${c.revision}: the current revision is ${tx.store.revision()}`, { reason: 'future-revision' });
      }
      const previous = tx.store.compactRevision();
      if (c.revision > previous) tx.store.compact(c.revision);
      return { op: 'compact', revision: tx.store.compactRevision(), previous };
    }
  }
}

function acquire(tx: Change, c: Extract<Command, { op: 'acquire' }>, index: number): ApplyResult {
  const lockKey = LOCK_PREFIX + c.resource;
  const current = tx.store.get(lockKey);
  if (!current) {
    const lease = tx.grantLease(tx.freeLeaseId(index), c.ttlMs, `${c.holder}@${c.resource}`, c.atMs, c.secretHash ?? '');
    tx.grantLock(c.resource, { holder: c.holder, lease: lease.id });
    return { op: 'acquire', granted: true, resource: c.resource, holder: c.holder, lease: lease.id, token: tx.revision, ttlMs: c.ttlMs, revision: tx.revision };
  }
  const heldBy = holderOf(current);
  if (!c.wait) return { op: 'acquire', granted: false, queued: false, resource: c.resource, heldBy };
  if (tx.store.range(`${LOCK_QUEUE_PREFIX}${c.resource}/`, true, MAX_WAITERS_PER_RESOURCE).length >= MAX_WAITERS_PER_RESOURCE) {
    return error('resource_exhausted', `${c.resource} already has ${MAX_WAITERS_PER_RESOURCE} waiters; try again later`, { limit: 'waiters_per_resource', heldBy });
  }
  // Queue keys sort by the revision they were made at: first come, first served.
  const lease = tx.grantLease(tx.freeLeaseId(index), c.ttlMs, `${c.holder}@${c.resource}`, c.atMs, c.secretHash ?? '');
  const queueKey = `${LOCK_QUEUE_PREFIX}${c.resource}/${String(tx.revision).padStart(16, '0')}`;
  tx.put(queueKey, JSON.stringify({ holder: c.holder, lease: lease.id }), lease.id);
  const position = tx.store.range(`${LOCK_QUEUE_PREFIX}${c.resource}/`, true).length;
  return { op: 'acquire', granted: false, queued: true, resource: c.resource, lease: lease.id, position, heldBy };
}

/**
 * A fenced write goes through only if its token is the resource's newest grant (Kleppmann's fencing token: the
 * token is the revision of the grant). Once a newer grant exists — a paused holder woke up after its lease ran out
 * and another was granted — or for a token never granted: `stale_token`, and nothing is written. (A holder whose
 * lease ended with no newer grant may still write: nobody else can.) Checked here, in the apply, so every replica
 * decides the same.
 */
function checkFence(store: StateStore, fence: Fence): ApplyResult | null {
  const record = store.get(FENCE_PREFIX + fence.resource);
  const lock = store.get(LOCK_PREFIX + fence.resource);
  const holder = lock ? holderOf(lock) : null;
  // Grants made before fence records existed: the lock's own token.
  const newest = record ? Number(record.value) : (holder?.token ?? null);
  if (newest !== null && newest === fence.token) return null;
  const now = holder ? `it is held with token ${holder.token} (by ${holder.holder})` : newest !== null ? `its newest grant has token ${newest} (not held now)` : 'it was never granted';
  const why = newest === null || fence.token > newest ? `token ${fence.token} was never granted for ${fence.resource}` : `token ${fence.token} for ${fence.resource} is stale`;
  return error('stale_token', `${why}: ${now}; nothing was written`, { resource: fence.resource, token: fence.token, newestToken: newest });
}

/** Whoever renews or ends a lease must show its grant's secret (its hash travels in the command). */
function isSecretOf(lease: Lease, secretHash: string | undefined): boolean {
  return lease.secretHash === '' || secretHash === lease.secretHash;
}

function wrongSecret(lease: Lease): ApplyResult {
  return error('permission_denied', `lease ${lease.id}: wrong or missing secret (renewing or ending a lease needs the secret its grant returned to the holder)`);
}

/**
 * The holder a lock key names. Only the state machine writes these keys (commands may not put under the lock
 * prefixes), but apply must be total whatever a log holds: an unreadable value reads as a holder with no lease,
 * the same on every replica.
 */
function parseLock(kv: KeyValue): { holder: string; lease: number } {
  return readLockValue(kv.value) ?? UNREADABLE_LOCK;
}

const UNREADABLE_LOCK = { holder: '(unreadable)', lease: 0 } as const;

export function holderOf(lockKv: KeyValue): LockHolder {
  const { holder, lease } = parseLock(lockKv);
  return { holder, lease, token: lockKv.createRevision };
}

/** Which branch a txn and each txn nested in it take: decided before any operation runs. */
interface TxnPath {
  succeeded: boolean;
  /** For each operation of the branch taken: the path of a nested txn, else null. */
  nested: (TxnPath | null)[];
  /**
   * For each get at a past revision on the branch taken: what it read, while the txn was checked. What it sees
   * cannot change (the txn writes after that revision), and a read the kept history cannot answer fails the txn
   * before anything is written (applying never throws).
   */
  pastReads: (PastRead | undefined)[];
}

type PastRead = { kvs: KeyValue[]; count: number };

function choosePath(store: StateStore, t: { compare: Compare[]; success: TxnOp[]; failure: TxnOp[] }): TxnPath {
  const succeeded = t.compare.every((cmp) => compareHolds(store, cmp));
  const ops = succeeded ? t.success : t.failure;
  return { succeeded, nested: ops.map((op) => (op.op === 'txn' ? choosePath(store, op) : null)), pastReads: [] };
}

function checkPath(store: StateStore, t: { success: TxnOp[]; failure: TxnOp[] }, path: TxnPath): ApplyResult | null {
  const ops = path.succeeded ? t.success : t.failure;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const problem = checkOp(store, op, path.nested[i], false);
    if (problem) return problem;
    if (op.op === 'get' && op.revision) {
      const read = readPast(store, op);
      if ('op' in read) return read;
      path.pastReads[i] = read;
    }
  }
  return null;
}

/** A get at a past revision (checked to be neither compacted nor in the future), or why the kept history cannot answer it. */
function readPast(store: StateStore, op: Extract<TxnOp, { op: 'get' }>): PastRead | ApplyResult {
  try {
    return store.rangeSpan(spanOf(op), { revision: op.revision, limit: op.limit, countOnly: op.countOnly });
  } catch (err) {
    if (err instanceof CcmError && err.code === 'compacted') return error('compacted', err.message, err.details);
    throw err;
  }
}

/**
 * What would make an operation fail, checked against the state before it runs: a lease that does not exist, a
 * key that ignoreValue/ignoreLease needs, a read revision compacted or in the future. etcd checks a plain put's
 * lease before its key, and a txn put's key before its lease; the first problem found is the error.
 */
function checkOp(store: StateStore, op: TxnOp, nested: TxnPath | null, isPlainRequest: boolean): ApplyResult | null {
  switch (op.op) {
    case 'put': {
      const leaseProblem = op.lease && !store.getLease(op.lease) ? error('not_found', `lease ${op.lease} not found (expired or revoked)`, { lease: op.lease }) : null;
      const keyProblem =
        (op.ignoreValue || op.ignoreLease) && !store.get(op.key) ? error('not_found', `key ${op.key} not found (ignoreValue and ignoreLease need it)`, { key: op.key }) : null;
      return isPlainRequest ? (leaseProblem ?? keyProblem) : (keyProblem ?? leaseProblem);
    }
    case 'get':
      if (!op.revision) return null;
      if (op.revision > store.revision()) {
        return error('invalid_argument', `revision ${op.revision} is in the future (the current revision is ${store.revision()})`, { reason: 'future-revision' });
      }
      if (op.revision < store.compactRevision()) {
        return error('compacted', `revision ${op.revision} was compacted; the oldest revision kept is ${store.compactRevision()}`, { compactRevision: store.compactRevision() });
      }
      return null;
    case 'txn':
      return nested ? checkPath(store, op, nested) : null;
    case 'delete':
      return null;
  }
}

function runPath(tx: Change, t: { success: TxnOp[]; failure: TxnOp[] }, path: TxnPath): TxnOpResult[] {
  const ops = path.succeeded ? t.success : t.failure;
  return ops.map((op, i) => runOp(tx, op, path.nested[i], path.pastReads[i]));
}

function spanOf(op: { key: string; prefix?: boolean; end?: string | null }): KeySpan {
  if (op.end !== undefined) return { key: op.key, end: op.end };
  return op.prefix ? prefixSpan(op.key) : { key: op.key };
}

function runOp(tx: Change, op: TxnOp, nested: TxnPath | null, pastRead?: PastRead): TxnOpResult {
  switch (op.op) {
    case 'put': {
      // etcd reads the key inside the txn here; the checks made sure it existed before the txn began.
      const current = op.ignoreValue || op.ignoreLease ? tx.store.get(op.key) : undefined;
      const value = op.ignoreValue ? (current?.value ?? '') : op.value;
      const lease = op.ignoreLease ? (current?.lease ?? 0) : (op.lease ?? 0);
      const prev = tx.put(op.key, value, lease);
      return { op: 'put', ...(prev ? { prev } : {}) };
    }
    case 'delete': {
      const deleted = tx.deleteSpan(spanOf(op), op.keepReserved === true);
      return { op: 'delete', deleted: deleted.length, ...(op.prevKvs ? { prev: deleted } : {}) };
    }
    case 'get': {
      const hasOptions = op.limit !== undefined || op.countOnly !== undefined || op.revision !== undefined;
      const { kvs, count } = pastRead ?? tx.store.rangeSpan(spanOf(op), { limit: op.limit, countOnly: op.countOnly });
      return { op: 'get', kvs, ...(hasOptions ? { count } : {}) };
    }
    case 'txn': {
      const path = nested ?? { succeeded: false, nested: [], pastReads: [] };
      return { op: 'txn', succeeded: path.succeeded, results: runPath(tx, op, path) };
    }
  }
}

/** A key that does not exist, as a compare sees it. */
const MISSING: KeyValue = { key: '', value: '', createRevision: 0, modRevision: 0, version: 0, lease: 0 };

function compareHolds(store: StateStore, c: Compare): boolean {
  if (c.end === undefined) {
    const kv = store.get(c.key);
    // A missing key has no value: != anything, and neither =, < nor > anything.
    if (!kv && c.target === 'value') return c.op === '!=';
    return compareKv(kv ?? MISSING, c);
  }
  const { kvs } = store.rangeSpan({ key: c.key, end: c.end });
  if (kvs.length === 0) return c.target === 'value' ? false : compareKv(MISSING, c);
  return kvs.every((kv) => compareKv(kv, c));
}

function compareKv(kv: KeyValue, c: Compare): boolean {
  const order =
    c.target === 'value'
      ? compareKeys(kv.value, c.value)
      : (c.target === 'mod' ? kv.modRevision : c.target === 'create' ? kv.createRevision : c.target === 'version' ? kv.version : kv.lease) - c.value;
  switch (c.op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}

/** The changes one command makes: all at one new revision, with sub-revisions in order. */
class Change {
  readonly revision: number;
  private sub = 0;
  readonly effects: ApplyEffects = { events: [], leasesTouched: [], leasesRemoved: [] };
  private readonly freedLocks = new Set<string>();

  constructor(readonly store: StateStore) {
    this.revision = store.revision() + 1;
  }

  put(key: string, value: string, lease: number): KeyValue | undefined {
    const prev = this.store.get(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : this.revision,
      modRevision: this.revision,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    this.store.put(kv);
    this.event({ type: 'put', kv, ...(prev ? { prevValue: prev.value } : {}) });
    return prev;
  }

  /** The resource's lock key, and its newest grant's fencing token (this revision), kept for fenced writes. */
  grantLock(resource: string, holder: { holder: string; lease: number }): void {
    this.put(LOCK_PREFIX + resource, JSON.stringify(holder), holder.lease);
    this.put(FENCE_PREFIX + resource, String(this.revision), 0);
  }

  /** Deletes every key of the span (with `keepReserved`, not ccm's own keys under /ccm/); returns what it deleted. */
  deleteSpan(span: KeySpan, keepReserved: boolean): KeyValue[] {
    let victims = this.store.rangeSpan(span).kvs;
    if (keepReserved) victims = victims.filter((kv) => !kv.key.startsWith(RESERVED_PREFIX));
    for (const kv of victims) this.deleteKey(kv);
    return victims;
  }

  deleteKey(kv: KeyValue): void {
    this.store.delete(kv.key);
    this.event({ type: 'delete', kv: { key: kv.key, value: '', createRevision: kv.createRevision, modRevision: this.revision, version: 0, lease: kv.lease }, prevValue: kv.value });
    if (kv.key.startsWith(LOCK_PREFIX)) this.freedLocks.add(kv.key.slice(LOCK_PREFIX.length));
  }

  /** A new lease's id: the entry's index, unless a client chose that id earlier (then the next free one). */
  freeLeaseId(index: number): number {
    let id = index;
    while (this.store.getLease(id)) id++;
    return id;
  }

  grantLease(id: number, ttlMs: number, owner: string, atMs: number, secretHash: string): Lease {
    const lease: Lease = { id, ttlMs, grantedRevision: this.revision, grantedAtMs: atMs, renewedAtMs: atMs, renewals: 0, owner, secretHash };
    this.store.putLease(lease);
    this.effects.leasesTouched.push(lease);
    return lease;
  }

  renewLease(lease: Lease, atMs: number): Lease {
    const renewed = { ...lease, renewedAtMs: atMs, renewals: lease.renewals + 1 };
    this.store.putLease(renewed);
    this.effects.leasesTouched.push(renewed);
    return renewed;
  }

  /** Deletes the lease and every key attached to it. */
  revokeLease(id: number): number {
    const keys = this.store.keysWithLease(id);
    for (const key of keys) {
      const kv = this.store.get(key);
      if (kv) this.deleteKey(kv);
    }
    this.store.deleteLease(id);
    this.effects.leasesRemoved.push(id);
    return keys.length;
  }

  /** A resource whose lock key was deleted passes to the first waiter still queued (FIFO by queue revision). */
  handOffFreedLocks(): void {
    for (const resource of this.freedLocks) {
      if (this.store.get(LOCK_PREFIX + resource)) continue;
      const next = this.store.range(`${LOCK_QUEUE_PREFIX}${resource}/`, true, 1)[0];
      if (!next) continue;
      const waiter = parseLock(next);
      const lease = this.store.getLease(waiter.lease);
      this.deleteKey(next);
      if (!lease) continue;
      this.grantLock(resource, waiter);
      // The TTL starts again at the hand-over: the new holder's clock starts when it gets the resource.
      this.renewLease(lease, lease.renewedAtMs);
    }
  }

  /** The revision the command produced, or the current one if it changed nothing. */
  resultRevision(): number {
    return this.sub > 0 ? this.revision : this.store.revision();
  }

  finish(): void {
    if (this.sub > 0) this.store.setRevision(this.revision);
  }

  private event(e: WatchEvent): void {
    this.store.appendEvent(this.revision, this.sub++, e);
    this.effects.events.push(e);
  }
}
