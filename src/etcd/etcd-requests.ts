/**
 * The etcd requests ccm serves, as @grpc/proto-loader decodes them (snake_case fields, int64 as decimal text, enums
 * as numbers, bytes as Buffers, defaults filled in, a oneof's chosen member named in its own field). Each is checked
 * against its schema before any code trusts its shape; what etcd checks itself (an empty key, too many txn ops, a
 * sort option) is checked after, with etcd's errors.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { MAX_VALUE_BYTES } from '../core/kv-types.js';
import { EtcdError, ETCD_ERRORS, invalidArgument } from './etcd-errors.js';

/** Keys and range ends: etcd bounds them only by the request size; ccm stores keys of up to 1 KiB. */
export const MAX_KEY_FIELD_BYTES = 64 * 1024;
/** etcd's --max-request-bytes default (1.5 MiB); ccm's values are at most 1 MiB. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/**
 * A txn nested deeper than this is refused before anything walks it. (protobufjs already refuses messages nested
 * over 100 deep, about 50 txns; etcd's shrinking op budget allows more in theory, no client needs them.)
 */
export const MAX_TXN_DEPTH = 32;

const Int64 = Type.String({ pattern: '^-?[0-9]{1,19}$' });
const Key = Type.Uint8Array({ maxByteLength: MAX_KEY_FIELD_BYTES });
const Value = Type.Uint8Array({ maxByteLength: MAX_VALUE_BYTES * 2 });
const EnumValue = Type.Integer({ minimum: 0, maximum: 1000 });

export const RangeRequest = Type.Object({
  key: Key,
  range_end: Key,
  limit: Int64,
  revision: Int64,
  sort_order: EnumValue,
  sort_target: EnumValue,
  serializable: Type.Boolean(),
  keys_only: Type.Boolean(),
  count_only: Type.Boolean(),
  min_mod_revision: Int64,
  max_mod_revision: Int64,
  min_create_revision: Int64,
  max_create_revision: Int64,
});
export type RangeRequest = Static<typeof RangeRequest>;

export const PutRequest = Type.Object({
  key: Key,
  value: Value,
  lease: Int64,
  prev_kv: Type.Boolean(),
  ignore_value: Type.Boolean(),
  ignore_lease: Type.Boolean(),
});
export type PutRequest = Static<typeof PutRequest>;

export const DeleteRangeRequest = Type.Object({ key: Key, range_end: Key, prev_kv: Type.Boolean() });
export type DeleteRangeRequest = Static<typeof DeleteRangeRequest>;

export const Compare = Type.Object({
  result: EnumValue,
  target: EnumValue,
  key: Key,
  range_end: Key,
  version: Type.Optional(Int64),
  create_revision: Type.Optional(Int64),
  mod_revision: Type.Optional(Int64),
  value: Type.Optional(Value),
  lease: Type.Optional(Int64),
});
export type Compare = Static<typeof Compare>;

export const TxnRequest = Type.Recursive((Txn) =>
  Type.Object({
    compare: Type.Array(Compare),
    success: Type.Array(
      Type.Object({
        request_range: Type.Optional(RangeRequest),
        request_put: Type.Optional(PutRequest),
        request_delete_range: Type.Optional(DeleteRangeRequest),
        request_txn: Type.Optional(Txn),
      }),
    ),
    failure: Type.Array(
      Type.Object({
        request_range: Type.Optional(RangeRequest),
        request_put: Type.Optional(PutRequest),
        request_delete_range: Type.Optional(DeleteRangeRequest),
        request_txn: Type.Optional(Txn),
      }),
    ),
  }),
);
export type TxnRequest = Static<typeof TxnRequest>;
export type RequestOp = TxnRequest['success'][number];

export const CompactionRequest = Type.Object({ revision: Int64, physical: Type.Boolean() });

export const WatchCreateRequest = Type.Object({
  key: Key,
  range_end: Key,
  start_revision: Int64,
  progress_notify: Type.Boolean(),
  filters: Type.Array(EnumValue, { maxItems: 16 }),
  prev_kv: Type.Boolean(),
  watch_id: Int64,
  fragment: Type.Boolean(),
});
export type WatchCreateRequest = Static<typeof WatchCreateRequest>;

export const WatchRequest = Type.Object({
  create_request: Type.Optional(WatchCreateRequest),
  cancel_request: Type.Optional(Type.Object({ watch_id: Int64 })),
  progress_request: Type.Optional(Type.Object({})),
});
export type WatchRequest = Static<typeof WatchRequest>;

export const LeaseGrantRequest = Type.Object({ TTL: Int64, ID: Int64 });
export const LeaseIdRequest = Type.Object({ ID: Int64 });
export const LeaseTimeToLiveRequest = Type.Object({ ID: Int64, keys: Type.Boolean() });
export const EmptyRequest = Type.Object({});
export const MemberListRequest = Type.Object({ linearizable: Type.Boolean() });
export const AlarmRequest = Type.Object({ action: EnumValue, memberID: Int64, alarm: EnumValue });
export const MoveLeaderRequest = Type.Object({ targetID: Type.String({ pattern: '^[0-9]{1,20}$' }) });
export const AuthenticateRequest = Type.Object({ name: Type.String({ maxLength: 1024 }), password: Type.String({ maxLength: 4096 }) });

const compiled = new Map<TSchema, TypeCheck<TSchema>>();

/** Refusals by reason, for /metrics: each one also goes back to the client as an error. */
export type RefusalCounter = (reason: string) => void;

/**
 * The request if it has its schema's shape, else an INVALID_ARGUMENT naming the first field that does not (counted
 * as `malformed <what>`). A txn is measured for depth first, so no deep nesting reaches a recursive walk.
 */
export function checkShape<T extends TSchema>(schema: T, value: unknown, what: string, refuse: RefusalCounter): Static<T> {
  if (schema === TxnRequest && txnDepth(value) > MAX_TXN_DEPTH) {
    refuse('txn too deep');
    throw ETCD_ERRORS.tooManyOps;
  }
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  if (check.Check(value)) return value as Static<T>;
  const first = check.Errors(value).First();
  refuse(`malformed ${what}`);
  throw invalidArgument(`malformed ${what}: ${first ? `${first.path || '/'} ${first.message}` : 'wrong shape'}`);
}

/** How deep txns nest in a request (iteratively: a hostile request cannot overflow the stack here). */
function txnDepth(value: unknown): number {
  let deepest = 0;
  const stack: { txn: unknown; depth: number }[] = [{ txn: value, depth: 1 }];
  while (stack.length > 0) {
    const { txn, depth } = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_TXN_DEPTH) return deepest;
    const t = txn as { success?: unknown; failure?: unknown } | null;
    for (const branch of [t?.success, t?.failure]) {
      if (!Array.isArray(branch)) continue;
      for (const op of branch) {
        const nested = (op as { request_txn?: unknown } | null)?.request_txn;
        if (nested) stack.push({ txn: nested, depth: depth + 1 });
      }
    }
  }
  return deepest;
}

/** An int64 field (decimal text) as a number, when it is a safe integer; else null. */
export function safeInt(text: string): number | null {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** An int64 that must be a safe integer to mean anything to ccm (revisions, limits, TTLs). */
export function intField(text: string, what: string): number {
  const n = safeInt(text);
  if (n === null) throw invalidArgument(`${what} ${text} is out of range`);
  return n;
}

export { EtcdError };
