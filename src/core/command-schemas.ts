import { Type, type Static } from '@sinclair/typebox';
import { HTTP_STATUS, type ErrorCode } from '../errors/ccm-error.js';
import { compileSchema, Count, literalUnion, type Assert, type SameType } from '../schema/compiled-schema.js';
import { CcmError } from '../errors/ccm-error.js';
import { MAX_TXN_COMPARES, validateCompare, validateFence, validateSpanEnd, validateSpanKey, validateHolder, validateKey, validateResource, validateTtlMs, validateTxnOps, validateValue } from './commands.js';
import { FENCE_PREFIX, LOCK_PREFIX, LOCK_QUEUE_PREFIX } from './kv-types.js';
import { KeyValueSchema } from './kv-schemas.js';
import type { ApplyResult } from './state-machine.js';

/**
 * The commands a Raft entry carries, as schemas: their TypeScript types are derived from these (commands.ts
 * re-exports them), so a command's type and its check cannot drift. The schemas bound the shape and the sizes
 * (strings by characters, numbers to safe integers); commands.ts adds the rules a schema cannot say (UTF-8 byte
 * limits, well-formed text, ranges that depend on each other).
 */

/** Strings are bounded by characters here; the byte limits (MAX_KEY_BYTES, MAX_VALUE_BYTES) are checked in commands.ts. */
const Key = Type.String({ minLength: 1, maxLength: 1024 });
const Value = Type.String({ maxLength: 1024 * 1024 });
const LeaseId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Resource = Type.String({ minLength: 1, maxLength: 256 });
const Holder = Type.String({ minLength: 1, maxLength: 256 });
/** The proposer's wall clock, for display only: any finite number. */
const AtMs = Type.Number();

const object = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });

const CompareOps = literalUnion(['=', '!=', '<', '>'] as const);
/** A span's first key ('' from the first key, with an end) and its end (etcd's range_end; null: no upper bound). */
const SpanKey = Type.String({ maxLength: 1024 });
const SpanEnd = Type.Optional(Type.Union([Type.String({ maxLength: 1028 }), Type.Null()]));
const Flag = Type.Optional(Type.Boolean());

export const CompareSchema = Type.Union([
  object({ key: SpanKey, end: SpanEnd, target: literalUnion(['mod', 'create', 'version', 'lease'] as const), op: CompareOps, value: Count }),
  object({ key: SpanKey, end: SpanEnd, target: Type.Literal('value'), op: CompareOps, value: Value }),
]);

const PutOp = { op: Type.Literal('put'), key: Key, value: Value, lease: Type.Optional(Count), ignoreValue: Flag, ignoreLease: Flag };
const DeleteOp = { op: Type.Literal('delete'), key: SpanKey, prefix: Flag, end: SpanEnd, prevKvs: Flag, keepReserved: Flag };

/** One operation of a txn; a nested txn holds more (their count is bounded by validateTxnOps, as etcd's --max-txn-ops). */
export const TxnOpSchema = Type.Recursive(
  (This) =>
    Type.Union([
      object(PutOp),
      object(DeleteOp),
      object({ op: Type.Literal('get'), key: SpanKey, prefix: Flag, end: SpanEnd, revision: Type.Optional(Count), limit: Type.Optional(Count), countOnly: Flag }),
      object({ op: Type.Literal('txn'), compare: Type.Array(CompareSchema), success: Type.Array(This), failure: Type.Array(This) }),
    ]),
  { $id: 'TxnOp' },
);

/**
 * A fencing token for a resource of the lease manager (Kleppmann's fencing token, Chubby's sequencer): a write
 * that carries one is applied only if no newer grant of the resource exists, so a holder that was paused past its
 * lease, and has been replaced, cannot write (`stale_token`).
 */
export const FenceSchema = object({ resource: Resource, token: Count });
const OptFence = Type.Optional(FenceSchema);
/**
 * SHA-256 (hex) of the secret a grant returned to its holder; renewing or ending the lease needs it. Optional in
 * the schema so that entries written before secrets existed still apply (their leases ask for nothing).
 */
const SecretHash = Type.Optional(Type.String({ maxLength: 128 }));

export const CommandSchema = Type.Union([
  object({ ...PutOp, fence: OptFence }),
  object({ ...DeleteOp, fence: OptFence }),
  /** Array sizes are checked against MAX_TXN_COMPARES and MAX_TXN_OPS in commands.ts (with a clear message). */
  object({ op: Type.Literal('txn'), compare: Type.Array(CompareSchema), success: Type.Array(TxnOpSchema), failure: Type.Array(TxnOpSchema), fence: OptFence }),
  /** `id`: the lease id the client chose (etcd's LeaseGrant ID); else the entry's index. */
  object({ op: Type.Literal('lease-grant'), ttlMs: Count, owner: Type.Optional(Type.String({ maxLength: 1024 })), atMs: AtMs, secretHash: SecretHash, id: Type.Optional(LeaseId) }),
  /** With `resource`, only if this lease holds it (a holder renewing), else any lease. */
  object({ op: Type.Literal('lease-renew'), id: LeaseId, atMs: AtMs, resource: Type.Optional(Resource), secretHash: SecretHash }),
  /** `bySystem`: the cluster itself ends the lease (a waiter leaving a queue, a failed registration, an admin's --force). */
  object({ op: Type.Literal('lease-revoke'), id: LeaseId, secretHash: SecretHash, bySystem: Type.Optional(Type.Boolean()) }),
  /** Proposed by the leader when a lease's TTL ran out; ignored if the lease was renewed since (renewals differ). */
  object({ op: Type.Literal('lease-expire'), id: LeaseId, renewals: Count }),
  /** Lease manager: grant a lease and take `resource` with it if free; else queue (wait) or report the holder. */
  object({ op: Type.Literal('acquire'), resource: Resource, holder: Holder, ttlMs: Count, wait: Type.Boolean(), atMs: AtMs, secretHash: SecretHash }),
  object({ op: Type.Literal('release'), resource: Resource, lease: LeaseId, secretHash: SecretHash }),
  object({ op: Type.Literal('compact'), revision: Count }),
]);

export type Compare = Static<typeof CompareSchema>;
export type CompareOp = Compare['op'];
export type TxnOp = Static<typeof TxnOpSchema>;
export type Command = Static<typeof CommandSchema>;
export type Fence = Static<typeof FenceSchema>;

const commandCheck = compileSchema(CommandSchema);

/**
 * Decodes an entry's data; a problem (not JSON, not a command, breaks a rule) instead of a command. Never throws.
 * A command is checked (commandProblem) before it is proposed, where it comes in and again on the leader, and once
 * more here when it is applied, so even an entry that should never have reached the log applies as a deterministic
 * error on every replica instead of throwing.
 */
export function decodeCommand(data: string): Command | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { problem: 'not JSON' };
  }
  const problem = commandProblem(value);
  return problem === undefined ? (value as Command) : { problem };
}

/** Why `value` is not a command that may be proposed or applied, or undefined if it is one. Never throws. */
export function commandProblem(value: unknown): string | undefined {
  const shape = commandCheck.problem(value);
  if (shape !== undefined) return shape;
  try {
    checkCommandRules(value as Command);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The rules a schema cannot say. Keys under the lock prefixes are written only by the state machine itself
 * (acquire, release, hand-over), whose values it must be able to read back: no put may write them.
 */
function checkCommandRules(c: Command): void {
  if ((c.op === 'put' || c.op === 'delete' || c.op === 'txn') && c.fence !== undefined) validateFence(c.fence);
  switch (c.op) {
    case 'put':
      validateKey(c.key);
      validateValue(c.value);
      notLockKey(c.key);
      return;
    case 'delete':
      validateSpanEnd(c.end);
      validateSpanKey(c.key, c.end);
      return;
    case 'txn':
      if (c.compare.length > MAX_TXN_COMPARES) throw new CcmError('invalid_argument', `a txn takes at most ${MAX_TXN_COMPARES} compares`);
      c.compare.forEach(validateCompare);
      validateTxnOps(c.success, false);
      validateTxnOps(c.failure, false);
      forEachPut([...c.success, ...c.failure], (key) => notLockKey(key));
      return;
    case 'lease-grant':
      validateTtlMs(c.ttlMs);
      return;
    case 'acquire':
      validateResource(c.resource);
      validateHolder(c.holder);
      validateTtlMs(c.ttlMs);
      return;
    case 'lease-renew':
      if (c.resource !== undefined) validateResource(c.resource);
      return;
    case 'release':
      validateResource(c.resource);
      return;
    case 'lease-revoke':
    case 'lease-expire':
    case 'compact':
      return;
  }
}

/** Every put of a txn's operations, nested txns included. */
function forEachPut(ops: TxnOp[], fn: (key: string) => void): void {
  for (const op of ops) {
    if (op.op === 'put') fn(op.key);
    else if (op.op === 'txn') forEachPut([...op.success, ...op.failure], fn);
  }
}

function notLockKey(key: string): void {
  if (key.startsWith(LOCK_PREFIX) || key.startsWith(LOCK_QUEUE_PREFIX) || key.startsWith(FENCE_PREFIX)) {
    throw new CcmError('invalid_argument', `keys under ${LOCK_PREFIX}, ${LOCK_QUEUE_PREFIX} and ${FENCE_PREFIX} are written by the lease manager only`);
  }
}

// ---- results: what a forwarded write answers (core.write over peer rpc) --------------------------------------

const ErrorCodeSchema = literalUnion(Object.keys(HTTP_STATUS) as ErrorCode[]);
const LockHolderSchema = object({ holder: Type.String(), lease: Count, token: Count });
const Prev = Type.Optional(KeyValueSchema);

export const TxnOpResultSchema = Type.Recursive(
  (This) =>
    Type.Union([
      object({ op: Type.Literal('put'), prev: Prev }),
      object({ op: Type.Literal('delete'), deleted: Count, prev: Type.Optional(Type.Array(KeyValueSchema)) }),
      object({ op: Type.Literal('get'), kvs: Type.Array(KeyValueSchema), count: Type.Optional(Count) }),
      object({ op: Type.Literal('txn'), succeeded: Type.Boolean(), results: Type.Array(This) }),
    ]),
  { $id: 'TxnOpResult' },
);

export const ApplyResultSchema = Type.Union([
  object({ op: Type.Literal('put'), revision: Count, prev: Prev }),
  object({ op: Type.Literal('delete'), revision: Count, deleted: Count, prev: Type.Optional(Type.Array(KeyValueSchema)) }),
  object({ op: Type.Literal('txn'), succeeded: Type.Boolean(), revision: Count, results: Type.Array(TxnOpResultSchema) }),
  object({ op: Type.Literal('lease-grant'), id: Count, ttlMs: Count, revision: Count }),
  object({ op: Type.Literal('lease-renew'), id: Count, ttlMs: Count, renewals: Count }),
  object({ op: Type.Literal('lease-revoke'), id: Count, revision: Count, deletedKeys: Count }),
  object({ op: Type.Literal('lease-expire'), id: Count, expired: Type.Boolean() }),
  object({ op: Type.Literal('acquire'), granted: Type.Literal(true), resource: Type.String(), holder: Type.String(), lease: Count, token: Count, ttlMs: Count, revision: Count }),
  object({ op: Type.Literal('acquire'), granted: Type.Literal(false), queued: Type.Literal(true), resource: Type.String(), lease: Count, position: Count, heldBy: LockHolderSchema }),
  object({ op: Type.Literal('acquire'), granted: Type.Literal(false), queued: Type.Literal(false), resource: Type.String(), heldBy: LockHolderSchema }),
  object({ op: Type.Literal('release'), resource: Type.String(), lease: Count, revision: Count, nextHolder: Type.Optional(Type.String()) }),
  object({ op: Type.Literal('compact'), revision: Count, previous: Count }),
  object({ op: Type.Literal('conf-change'), voters: Type.Array(Type.String()), learners: Type.Array(Type.String()) }),
  object({ op: Type.Literal('error'), code: ErrorCodeSchema, message: Type.String(), details: Type.Optional(Type.Unknown()) }),
]);

export type _ApplyResultMatches = Assert<SameType<Static<typeof ApplyResultSchema>, ApplyResult>>;
