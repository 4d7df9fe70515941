/**
 * ccm's commands and results in etcd's v3 messages (as grpc-js with etcd/etcd-proto.ts's loader options reads and
 * writes them: snake_case, int64 as decimal text, enums as numbers). Keys map one to one, so etcdctl sees what the
 * services wrote; revisions are etcd's own.
 */
import type { Compare, TxnOp } from '../core/commands.js';
import { compareKeys, prefixSpan, type KeySpan } from '../core/key-span.js';
import { RESERVED_PREFIX, type KeyValue, type WatchEvent } from '../core/kv-types.js';
import type { TxnOpResult } from '../core/state-machine.js';

/** mvccpb.KeyValue as received. */
export interface EtcdKv {
  key: Buffer;
  value: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  lease: string;
}

export interface EtcdHeader {
  revision: string;
  member_id?: string;
  raft_term?: string;
}

export interface RangeResponse {
  header: EtcdHeader;
  kvs: EtcdKv[];
  count: string;
  more: boolean;
}

export type ResponseOp =
  | { response: 'response_range'; response_range: RangeResponse }
  | { response: 'response_put'; response_put: { header: EtcdHeader; prev_kv: EtcdKv | null } }
  | { response: 'response_delete_range'; response_delete_range: { header: EtcdHeader; deleted: string; prev_kvs: EtcdKv[] } }
  | { response: 'response_txn'; response_txn: TxnResponse };

export interface TxnResponse {
  header: EtcdHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface EtcdEvent {
  type: number; // PUT = 0, DELETE = 1
  kv: EtcdKv;
  prev_kv: EtcdKv | null;
}

export type RequestOp = { request_range: object } | { request_put: object } | { request_delete_range: object } | { request_txn: EtcdTxn };
export interface EtcdCompare {
  key: Buffer;
  range_end?: Buffer;
  target: number;
  result: number;
  [field: string]: unknown;
}
export interface EtcdTxn {
  compare: EtcdCompare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export const text = (s: string): Buffer => Buffer.from(s, 'utf8');

export function toKeyValue(kv: EtcdKv): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: Number(kv.lease),
  };
}

/** A span as etcd's key and range_end (a prefix, a single key, a span from a key on, an empty span). */
export function spanBytes(span: KeySpan): { key: Buffer; range_end?: Buffer } {
  if (span.end === undefined) return { key: text(span.key) };
  // etcd's "\0": every key from `key` on; its empty key is "\0" with a range_end.
  if (span.end === null) return { key: span.key === '' ? Buffer.from([0]) : text(span.key), range_end: Buffer.from([0]) };
  // An empty span ('' ends before everything): [k, k) selects nothing (an empty range_end would mean the key alone).
  if (span.end === '') {
    const k = text(span.key === '' ? '\u0001' : span.key);
    return { key: k, range_end: k };
  }
  return { key: span.key === '' ? Buffer.from([0]) : text(span.key), range_end: text(span.end) };
}

export function opSpan(op: { key: string; prefix?: boolean; end?: string | null }): KeySpan {
  if (op.end !== undefined) return { key: op.key, end: op.end };
  return op.prefix ? prefixSpan(op.key) : { key: op.key };
}

const RESERVED_END = String.fromCharCode(RESERVED_PREFIX.charCodeAt(RESERVED_PREFIX.length - 1) + 1);
const RESERVED_SPAN = { key: RESERVED_PREFIX, end: RESERVED_PREFIX.slice(0, -1) + RESERVED_END };

/** A span without ccm's own keys (a delete with keepReserved): up to two spans around /ccm/. */
export function withoutReserved(span: KeySpan): KeySpan[] {
  if (span.end === undefined) return span.key.startsWith(RESERVED_PREFIX) ? [] : [span];
  const pieces: KeySpan[] = [];
  const endsAfter = (bound: string): boolean => span.end === null || compareKeys(span.end as string, bound) > 0;
  if (compareKeys(span.key, RESERVED_SPAN.key) < 0) {
    const end = endsAfter(RESERVED_SPAN.key) ? RESERVED_SPAN.key : (span.end as string);
    pieces.push({ key: span.key, end });
  }
  if (endsAfter(RESERVED_SPAN.end)) {
    const key = compareKeys(span.key, RESERVED_SPAN.end) > 0 ? span.key : RESERVED_SPAN.end;
    pieces.push({ key, end: span.end });
  }
  return pieces;
}

const COMPARE_RESULT = { '=': 0, '>': 1, '<': 2, '!=': 3 } as const;
const COMPARE_TARGET = { version: 0, create: 1, mod: 2, value: 3, lease: 4 } as const;
const COMPARE_FIELD = { version: 'version', create: 'create_revision', mod: 'mod_revision', value: 'value', lease: 'lease' } as const;

export function toEtcdCompare(c: Compare): EtcdCompare {
  const span = c.end === undefined ? { key: text(c.key) } : spanBytes({ key: c.key, end: c.end });
  const value = c.target === 'value' ? text(c.value) : String(c.value);
  return { ...span, target: COMPARE_TARGET[c.target], result: COMPARE_RESULT[c.op], [COMPARE_FIELD[c.target]]: value };
}

/** mod_revision of `key` = `revision` (0: the key does not exist). */
export function modIs(key: string, revision: number): EtcdCompare {
  return { key: text(key), target: COMPARE_TARGET.mod, result: COMPARE_RESULT['='], mod_revision: String(revision) };
}

/** No key of the span exists (etcd compares a missing key as create_revision 0). */
export function absent(span: KeySpan): EtcdCompare {
  return { ...spanBytes(span), target: COMPARE_TARGET.create, result: COMPARE_RESULT['='], create_revision: '0' };
}

export function putOp(key: string, value: string, lease = 0, extra: object = {}): RequestOp {
  return { request_put: { key: text(key), value: text(value), lease: String(lease), ...extra } };
}

export function rangeOp(span: KeySpan, extra: object = {}): RequestOp {
  return { request_range: { ...spanBytes(span), ...extra } };
}

export function deleteOp(span: KeySpan, prevKv = false): RequestOp {
  return { request_delete_range: { ...spanBytes(span), prev_kv: prevKv } };
}

/** Sort a range by create revision, oldest first (a queue's order). */
export const BY_CREATION = { sort_target: 2, sort_order: 1 };

/** A txn's operations as etcd's, and how to read their results back as ccm's (one ccm op may be several etcd ops). */
export interface TranslatedOps {
  ops: RequestOp[];
  results(responses: ResponseOp[]): TxnOpResult[];
}

export function translateTxn(t: { compare: Compare[]; success: TxnOp[]; failure: TxnOp[] }): { txn: EtcdTxn; results(r: TxnResponse): TxnOpResult[] } {
  const success = translateOps(t.success);
  const failure = translateOps(t.failure);
  return {
    txn: { compare: t.compare.map(toEtcdCompare), success: success.ops, failure: failure.ops },
    results: (r) => (r.succeeded ? success : failure).results(r.responses),
  };
}

export function translateOps(ops: TxnOp[]): TranslatedOps {
  const parts = ops.map(translateOp);
  return {
    ops: parts.flatMap((p) => p.ops),
    results(responses) {
      let at = 0;
      return parts.map((p) => {
        const mine = responses.slice(at, at + p.ops.length);
        at += p.ops.length;
        return p.result(mine);
      });
    },
  };
}

function translateOp(op: TxnOp): { ops: RequestOp[]; result(r: ResponseOp[]): TxnOpResult } {
  switch (op.op) {
    case 'put':
      return {
        ops: [putOp(op.key, op.value, op.lease ?? 0, { prev_kv: true, ignore_value: op.ignoreValue === true, ignore_lease: op.ignoreLease === true })],
        result: (r) => {
          const prev = r[0]?.response === 'response_put' ? r[0].response_put.prev_kv : null;
          return { op: 'put', ...(prev ? { prev: toKeyValue(prev) } : {}) };
        },
      };
    case 'delete': {
      const span = opSpan(op);
      const spans = op.keepReserved ? withoutReserved(span) : [span];
      return {
        ops: spans.map((s) => deleteOp(s, op.prevKvs === true)),
        result: (r) => {
          let deleted = 0;
          const prev: KeyValue[] = [];
          for (const x of r) {
            if (x.response !== 'response_delete_range') continue;
            deleted += Number(x.response_delete_range.deleted);
            prev.push(...x.response_delete_range.prev_kvs.map(toKeyValue));
          }
          return { op: 'delete', deleted, ...(op.prevKvs ? { prev } : {}) };
        },
      };
    }
    case 'get': {
      const hasOptions = op.limit !== undefined || op.countOnly !== undefined || op.revision !== undefined;
      return {
        ops: [rangeOp(opSpan(op), { revision: String(op.revision ?? 0), limit: String(op.limit ?? 0), count_only: op.countOnly === true })],
        result: (r) => {
          const range = r[0]?.response === 'response_range' ? r[0].response_range : null;
          const kvs = range ? range.kvs.map(toKeyValue) : [];
          return { op: 'get', kvs, ...(hasOptions ? { count: range ? Number(range.count) : 0 } : {}) };
        },
      };
    }
    case 'txn': {
      const nested = translateTxn(op);
      return {
        ops: [{ request_txn: nested.txn }],
        result: (r) => {
          const t = r[0]?.response === 'response_txn' ? r[0].response_txn : null;
          return { op: 'txn', succeeded: t?.succeeded ?? false, results: t ? nested.results(t) : [] };
        },
      };
    }
  }
}

/** An etcd watch event as ccm's: a delete keeps the deleted key's creation and lease (from prev_kv), as ccm's core. */
export function toWatchEvent(e: EtcdEvent, withPrev: boolean): WatchEvent {
  const kv = toKeyValue(e.kv);
  const prev = e.prev_kv ? toKeyValue(e.prev_kv) : undefined;
  if (e.type === 1) {
    const deleted: KeyValue = { key: kv.key, value: '', createRevision: prev?.createRevision ?? 0, modRevision: kv.modRevision, version: 0, lease: prev?.lease ?? 0 };
    return { type: 'delete', kv: deleted, ...(prev ? { prevValue: prev.value } : {}), ...(withPrev && prev ? { prev } : {}) };
  }
  return { type: 'put', kv, ...(prev ? { prevValue: prev.value } : {}), ...(withPrev && prev ? { prev } : {}) };
}
