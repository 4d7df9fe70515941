/**
 * etcd's KV service (Range, Put, DeleteRange, Txn, Compact) on ccm's core: each request is checked as etcd's
 * server checks it (api/v3rpc/key.go), mapped to one core read or one core command (so a txn is one Raft entry,
 * applied whole), and the result shaped as etcd's response. What etcd does after the read (filters by revision,
 * sorting, the limit, keys_only) is done here, the same way (etcdserver/apply.go).
 */
import type { Compare as CoreCompare, CompareOp, TxnOp } from '../core/commands.js';
import { compareKeys, type KeySpan } from '../core/key-span.js';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, RESERVED_PREFIX, type KeyValue } from '../core/kv-types.js';
import type { ApplyResult, TxnOpResult } from '../core/state-machine.js';
import type { SpanRead } from './etcd-backend.js';
import { keyValueMessage, type EtcdContext, type KeyValueMessage, type ResponseHeader } from './etcd-context.js';
import { ETCD_ERRORS, invalidArgument, notSupported } from './etcd-errors.js';
import { intField, safeInt, type Compare, type CompactionRequest, type DeleteRangeRequest, type PutRequest, type RangeRequest, type RequestOp, type TxnRequest } from './etcd-requests.js';
import { spanOfBytes, storableKey, utf8Text } from './key-bytes.js';
import type { Static } from '@sinclair/typebox';

/** etcd's --max-txn-ops default. */
export const MAX_TXN_OPS = 128;
/** Selects nothing: what a key that cannot be stored (not UTF-8 text) selects. */
const EMPTY_SPAN: KeySpan = { key: '', end: '' };

const SORT_NONE = 0;
const SORT_ASCEND = 1;
const SORT_DESCEND = 2;
const TARGET_KEY = 0;
const TARGET_VERSION = 1;
const TARGET_CREATE = 2;
const TARGET_MOD = 3;
const TARGET_VALUE = 4;

// ---- Range ---------------------------------------------------------------------------------------------------------

/** How a Range's options shape what is read, and then what is answered. */
interface RangePlan {
  read: SpanRead;
  limit: number;
  sortOrder: number;
  sortTarget: number;
  minMod: number;
  maxMod: number;
  minCreate: number;
  maxCreate: number;
  keysOnly: boolean;
  countOnly: boolean;
  /** The limit was applied by the read itself (key order, no filters): `more` comes from the count. */
  isLimitRead: boolean;
}

export interface RangeAnswer {
  kvs: KeyValueMessage[];
  more: boolean;
  count: number;
}

function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw ETCD_ERRORS.emptyKey;
  if (r.sort_order > SORT_DESCEND || r.sort_target > TARGET_VALUE) throw ETCD_ERRORS.invalidSortOption;
}

function planRange(r: RangeRequest): RangePlan {
  const selection = spanOfBytes(r.key, r.range_end);
  const limit = Math.max(0, safeInt(r.limit) ?? 0);
  const revision = Math.max(0, intField(r.revision, 'revision'));
  const [minMod, maxMod, minCreate, maxCreate] = [r.min_mod_revision, r.max_mod_revision, r.min_create_revision, r.max_create_revision].map((t) => safeInt(t) ?? 0);
  const isFiltered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  // etcd: a sort target other than the key with no order means ascending.
  const sortOrder = r.sort_target !== TARGET_KEY && r.sort_order === SORT_NONE ? SORT_ASCEND : r.sort_order;
  const inKeyOrder = sortOrder === SORT_NONE || (sortOrder === SORT_ASCEND && r.sort_target === TARGET_KEY);
  const isLimitRead = inKeyOrder && !isFiltered;
  return {
    read: { span: 'span' in selection ? selection.span : EMPTY_SPAN, revision, limit: isLimitRead ? limit : 0, countOnly: r.count_only },
    limit,
    sortOrder,
    sortTarget: r.sort_target,
    minMod,
    maxMod,
    minCreate,
    maxCreate,
    keysOnly: r.keys_only,
    countOnly: r.count_only,
    isLimitRead,
  };
}

function sortKey(kv: KeyValue, target: number): number | string {
  switch (target) {
    case TARGET_VERSION:
      return kv.version;
    case TARGET_CREATE:
      return kv.createRevision;
    case TARGET_MOD:
      return kv.modRevision;
    case TARGET_VALUE:
      return kv.value;
    default:
      return kv.key;
  }
}

/** The read's keys filtered, sorted and cut to the limit, as etcd's applier does after its read. */
function answerRange(plan: RangePlan, kvs: KeyValue[], count: number): RangeAnswer {
  if (plan.countOnly) return { kvs: [], more: false, count };
  let list = kvs;
  if (plan.maxMod) list = list.filter((kv) => kv.modRevision <= plan.maxMod);
  if (plan.minMod) list = list.filter((kv) => kv.modRevision >= plan.minMod);
  if (plan.maxCreate) list = list.filter((kv) => kv.createRevision <= plan.maxCreate);
  if (plan.minCreate) list = list.filter((kv) => kv.createRevision >= plan.minCreate);
  if (!plan.isLimitRead && plan.sortOrder !== SORT_NONE) {
    const sign = plan.sortOrder === SORT_DESCEND ? -1 : 1;
    list = [...list].sort((a, b) => {
      const x = sortKey(a, plan.sortTarget);
      const y = sortKey(b, plan.sortTarget);
      return sign * (typeof x === 'string' ? compareKeys(x, y as string) : x - (y as number));
    });
  }
  const more = plan.limit > 0 && (plan.isLimitRead ? count > plan.limit : list.length > plan.limit);
  if (plan.limit > 0) list = list.slice(0, plan.limit);
  return { kvs: list.map((kv) => keyValueMessage(kv, plan.keysOnly)), more, count };
}

export async function range(ctx: EtcdContext, r: RangeRequest, deadlineMs: number): Promise<RangeAnswer & { header: ResponseHeader }> {
  checkRange(r);
  const plan = planRange(r);
  const result = await ctx.backend.range(plan.read, r.serializable, deadlineMs);
  return { header: ctx.header(result.revision), ...answerRange(plan, result.kvs, result.count) };
}

// ---- Put / DeleteRange ---------------------------------------------------------------------------------------------

function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw ETCD_ERRORS.emptyKey;
  if (r.ignore_value && r.value.length !== 0) throw ETCD_ERRORS.valueProvided;
  if (r.ignore_lease && r.lease !== '0') throw ETCD_ERRORS.leaseProvided;
}

/** A key a write may name: text ccm can store, and not one of ccm's own. */
function writableKey(bytes: Uint8Array): string {
  const key = storableKey(bytes);
  if (key === null) throw notSupported('keys are stored as UTF-8 text without NUL characters');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw notSupported(`keys are at most ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith(RESERVED_PREFIX)) {
    throw invalidArgument(`keys under ${RESERVED_PREFIX} belong to ccm's services (leases, config, registry, election); use ccm's commands for them`);
  }
  return key;
}

/** A lease id ccm can hold (a positive safe integer), 0 for none; an id no lease can have is not found. */
export function leaseIdOf(text: string): number {
  if (text === '0') return 0;
  const id = safeInt(text);
  if (id === null || id < 0) throw ETCD_ERRORS.leaseNotFound;
  return id;
}

function putOp(r: PutRequest): Extract<TxnOp, { op: 'put' }> {
  checkPut(r);
  const key = writableKey(r.key);
  if (r.value.length > MAX_VALUE_BYTES) throw ETCD_ERRORS.requestTooLarge;
  const value = utf8Text(r.value);
  if (value === null) throw notSupported('values are stored as UTF-8 text');
  const lease = leaseIdOf(r.lease);
  return { op: 'put', key, value, ...(lease ? { lease } : {}), ...(r.ignore_value ? { ignoreValue: true } : {}), ...(r.ignore_lease ? { ignoreLease: true } : {}) };
}

function deleteOp(r: DeleteRangeRequest): Extract<TxnOp, { op: 'delete' }> {
  if (r.key.length === 0) throw ETCD_ERRORS.emptyKey;
  const common = { prevKvs: r.prev_kv, keepReserved: true };
  if (r.range_end.length === 0) {
    const key = storableKey(r.key);
    if (key === null) return { op: 'delete', ...EMPTY_SPAN, ...common };
    if (key.startsWith(RESERVED_PREFIX)) writableKey(r.key);
    return { op: 'delete', key, ...common };
  }
  const selection = spanOfBytes(r.key, r.range_end);
  const span = 'span' in selection ? selection.span : EMPTY_SPAN;
  return { op: 'delete', key: span.key, end: span.end ?? null, ...common };
}

function unexpected(r: ApplyResult): Error {
  return new Error(`unexpected result ${r.op} from the core`);
}

export async function put(ctx: EtcdContext, r: PutRequest, deadlineMs: number): Promise<{ header: ResponseHeader; prev_kv?: KeyValueMessage }> {
  const result = await ctx.backend.write(putOp(r), deadlineMs);
  if (result.op !== 'put') throw unexpected(result);
  return { header: ctx.header(result.revision), ...(r.prev_kv && result.prev ? { prev_kv: keyValueMessage(result.prev) } : {}) };
}

export async function deleteRange(ctx: EtcdContext, r: DeleteRangeRequest, deadlineMs: number): Promise<{ header: ResponseHeader; deleted: number; prev_kvs: KeyValueMessage[] }> {
  const result = await ctx.backend.write(deleteOp(r), deadlineMs);
  if (result.op !== 'delete') throw unexpected(result);
  return { header: ctx.header(result.revision), deleted: result.deleted, prev_kvs: (result.prev ?? []).map((kv) => keyValueMessage(kv)) };
}

// ---- Txn -------------------------------------------------------------------------------------------------------------

const COMPARE_OPS: Record<number, CompareOp> = { 0: '=', 1: '>', 2: '<', 3: '!=' };
const COMPARE_TARGETS = ['version', 'create', 'mod', 'value', 'lease'] as const;

/** etcd's checkTxnRequest: at most MAX_TXN_OPS per branch, a nested txn within what its parent leaves; keys given. */
export function checkTxn(t: TxnRequest, maxOps = MAX_TXN_OPS): void {
  const used = Math.max(t.compare.length, t.success.length, t.failure.length);
  if (used > maxOps) throw ETCD_ERRORS.tooManyOps;
  for (const c of t.compare) if (c.key.length === 0) throw ETCD_ERRORS.emptyKey;
  for (const op of [...t.success, ...t.failure]) {
    if (op.request_range) checkRange(op.request_range);
    else if (op.request_put) checkPut(op.request_put);
    else if (op.request_delete_range) {
      if (op.request_delete_range.key.length === 0) throw ETCD_ERRORS.emptyKey;
    } else if (op.request_txn) checkTxn(op.request_txn, maxOps - used);
    else throw ETCD_ERRORS.keyNotFound; // an empty op, as etcd answers it
  }
}

interface Interval {
  from: string;
  /** undefined: the key alone. */
  to?: string;
}

/** Bytes as a string whose `<` is byte order (one char per byte). */
const binary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

const hits = (dels: Interval[], key: string): boolean => dels.some((d) => (d.to === undefined ? d.from === key : d.from <= key && key < d.to));

/**
 * etcd's checkIntervals: within a branch (nested txns included) no key is put twice and no put falls in a delete's
 * span; a nested txn's two branches may put the same key (only one runs). As in etcd, a delete from a key on
 * (range_end "\0") counts as the span [key, "\0"), which holds no key.
 */
export function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.request_delete_range;
    if (d) dels.push(d.range_end.length === 0 ? { from: binary(d.key) } : { from: binary(d.key), to: binary(d.range_end) });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (!op.request_txn) continue;
    const then = checkIntervals(op.request_txn.success);
    const otherwise = checkIntervals(op.request_txn.failure);
    for (const k of then.puts) {
      if (puts.has(k) || hits(dels, k)) throw ETCD_ERRORS.duplicateKey;
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw ETCD_ERRORS.duplicateKey;
      if (hits(dels, k)) throw ETCD_ERRORS.duplicateKey;
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (!op.request_put) continue;
    const k = binary(op.request_put.key);
    if (puts.has(k) || hits(dels, k)) throw ETCD_ERRORS.duplicateKey;
    puts.add(k);
  }
  return { puts, dels };
}

function compareOf(c: Compare): CoreCompare {
  const op = COMPARE_OPS[c.result];
  const target = COMPARE_TARGETS[c.target];
  if (op === undefined || target === undefined) throw invalidArgument(`compare result ${c.result} / target ${c.target} is not one etcd defines`);
  // With etcd's rules: a compare on one key is a compare on the span holding only that key.
  let span: KeySpan;
  if (c.range_end.length === 0) {
    const key = storableKey(c.key);
    span = key === null ? EMPTY_SPAN : { key, end: `${key}\0` };
  } else {
    const selection = spanOfBytes(c.key, c.range_end);
    span = 'span' in selection ? selection.span : EMPTY_SPAN;
  }
  const where = { key: span.key, end: span.end ?? null };
  if (target === 'value') {
    const value = utf8Text(c.value ?? Buffer.alloc(0));
    if (value === null) throw notSupported('values are stored as UTF-8 text, so a compare with other bytes means nothing');
    return { ...where, target, op, value };
  }
  const field = target === 'version' ? c.version : target === 'create' ? c.create_revision : target === 'mod' ? c.mod_revision : c.lease;
  const value = safeInt(field ?? '0');
  if (value === null) throw invalidArgument(`compare ${target} ${field} is out of range`);
  return { ...where, target, op, value };
}

/** How to answer each operation of a txn from its result. */
type OpPlan = { kind: 'range'; plan: RangePlan } | { kind: 'put'; prevKv: boolean } | { kind: 'delete'; prevKv: boolean } | { kind: 'txn'; success: OpPlan[]; failure: OpPlan[] };

function txnOpOf(op: RequestOp): { op: TxnOp; plan: OpPlan } {
  if (op.request_range) {
    const plan = planRange(op.request_range);
    const { span, revision, limit, countOnly } = plan.read;
    return { op: { op: 'get', key: span.key, ...(span.end !== undefined ? { end: span.end } : {}), revision, limit: limit ?? 0, countOnly }, plan: { kind: 'range', plan } };
  }
  if (op.request_put) return { op: putOp(op.request_put), plan: { kind: 'put', prevKv: op.request_put.prev_kv } };
  if (op.request_delete_range) return { op: deleteOp(op.request_delete_range), plan: { kind: 'delete', prevKv: op.request_delete_range.prev_kv } };
  const t = txnOf(op.request_txn!);
  return { op: t.command, plan: { kind: 'txn', success: t.success, failure: t.failure } };
}

function txnOf(t: TxnRequest): { command: Extract<TxnOp, { op: 'txn' }>; success: OpPlan[]; failure: OpPlan[] } {
  const success = t.success.map(txnOpOf);
  const failure = t.failure.map(txnOpOf);
  return {
    command: { op: 'txn', compare: t.compare.map(compareOf), success: success.map((s) => s.op), failure: failure.map((f) => f.op) },
    success: success.map((s) => s.plan),
    failure: failure.map((f) => f.plan),
  };
}

type ResponseOp =
  | { response_range: RangeAnswer & { header: Partial<ResponseHeader> } }
  | { response_put: { header: Partial<ResponseHeader>; prev_kv?: KeyValueMessage } }
  | { response_delete_range: { header: Partial<ResponseHeader>; deleted: number; prev_kvs: KeyValueMessage[] } }
  | { response_txn: { header: Partial<ResponseHeader>; succeeded: boolean; responses: ResponseOp[] } };

/** Responses of the branch that ran; nested headers as etcd leaves them (a range's carries the revision). */
function responsesOf(plans: OpPlan[], results: TxnOpResult[], revision: number): ResponseOp[] {
  return results.map((r, i): ResponseOp => {
    const plan = plans[i];
    if (plan.kind === 'range' && r.op === 'get') return { response_range: { header: { revision }, ...answerRange(plan.plan, r.kvs, r.count ?? r.kvs.length) } };
    if (plan.kind === 'put' && r.op === 'put') return { response_put: { header: {}, ...(plan.prevKv && r.prev ? { prev_kv: keyValueMessage(r.prev) } : {}) } };
    if (plan.kind === 'delete' && r.op === 'delete') {
      return { response_delete_range: { header: {}, deleted: r.deleted, prev_kvs: plan.prevKv ? (r.prev ?? []).map((kv) => keyValueMessage(kv)) : [] } };
    }
    if (plan.kind === 'txn' && r.op === 'txn') {
      return { response_txn: { header: {}, succeeded: r.succeeded, responses: responsesOf(r.succeeded ? plan.success : plan.failure, r.results, revision) } };
    }
    throw new Error(`txn result ${r.op} does not match the request's ${plan.kind}`);
  });
}

export async function txn(ctx: EtcdContext, t: TxnRequest, deadlineMs: number): Promise<{ header: ResponseHeader; succeeded: boolean; responses: ResponseOp[] }> {
  checkTxn(t);
  checkIntervals(t.success);
  checkIntervals(t.failure);
  const { command, success, failure } = txnOf(t);
  const result = await ctx.backend.write(command, deadlineMs);
  if (result.op !== 'txn') throw unexpected(result);
  return { header: ctx.header(result.revision), succeeded: result.succeeded, responses: responsesOf(result.succeeded ? success : failure, result.results, result.revision) };
}

// ---- Compact -----------------------------------------------------------------------------------------------------------

export async function compact(ctx: EtcdContext, r: Static<typeof CompactionRequest>, deadlineMs: number): Promise<{ header: ResponseHeader }> {
  const revision = intField(r.revision, 'revision');
  const result = await ctx.backend.write({ op: 'compact', revision }, deadlineMs);
  if (result.op !== 'compact') throw unexpected(result);
  if (revision <= result.previous) throw ETCD_ERRORS.compacted;
  return { header: ctx.header() };
}
