import type http from 'node:http';
import { CcmError } from '../../errors/ccm-error.js';
import type { KvDeleteResult, KvPutResult, KvTxnResult } from '../../api/api-types.js';
import {
  MAX_TXN_COMPARES,
  MAX_TXN_OPS,
  parseFence,
  validateCompare,
  validateFence,
  validateKey,
  validateLeaseId,
  validateRevision,
  validateTxnOps,
  validateUserWriteKey,
  validateValue,
  type Compare,
  type Fence,
  type TxnOp,
} from '../../core/commands.js';
import type { HttpServer } from '../../net/http-server.js';
import { RefusedInput } from '../../net/input-rejections.js';
import type { CallOptions, CorePort } from '../../services/core-port.js';
import { compactBody, deleteKvQuery, getKvQuery, putKvBody, txnBody } from './route-schemas.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const MAX_REQUEST_TIMEOUT_MS = 60_000;

/** The request's deadline: `x-ccm-timeout-ms` (default 5 s, at most 60 s). */
export function callOptions(req: http.IncomingMessage): CallOptions {
  const raw = req.headers['x-ccm-timeout-ms'];
  const ms = raw === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) throw new RefusedInput('bad_header', 'invalid_argument', 'x-ccm-timeout-ms must be a positive number');
  return { deadline: Date.now() + Math.min(ms, MAX_REQUEST_TIMEOUT_MS), hops: 0 };
}

const flag = (v: string | null): boolean => v === 'true' || v === '1';

/** /v1/kv: get (range), put (with compare-and-set), delete, txn, compact. */
export function registerKvRoutes(http: HttpServer, core: CorePort): void {
  http.route('GET', '/v1/kv', async ({ query, req }) => {
    const key = validateKey(query.get('key') ?? '');
    const prefix = flag(query.get('prefix'));
    const limitText = query.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new CcmError('invalid_argument', 'limit must be a whole number >= 0');
    const revText = query.get('rev');
    const revision = revText === null ? undefined : validateRevision(Number(revText), 'rev');
    const prev = flag(query.get('prev'));
    if (prev && (prefix || revision !== undefined)) throw new CcmError('invalid_argument', 'prev reads one key as it was before its last change: not with prefix or rev');
    const result = await core.read({ kind: 'range', key, prefix, limit, ...(revision ? { revision } : {}), ...(prev ? { prev } : {}) }, flag(query.get('serializable')), callOptions(req));
    if ('kvs' in result && !prefix && result.kvs.length === 0) {
      const when = 'atRevision' in result && result.atRevision !== undefined ? ` at revision ${result.atRevision}` : '';
      throw new CcmError('not_found', `key ${key} not found${when}`, { revision: result.revision });
    }
    return result;
  }, { query: getKvQuery });

  http.route('PUT', '/v1/kv', async ({ body: b, req }): Promise<KvPutResult> => {
    const key = validateUserWriteKey(b.key);
    const value = validateValue(b.value);
    const lease = b.lease === undefined || b.lease === 0 ? 0 : validateLeaseId(b.lease);
    const fence = fenceOf(b.fence);
    const put: TxnOp = { op: 'put', key, value, ...(lease ? { lease } : {}) };
    const compare: Compare[] = [];
    if (b.ifModRev !== undefined) compare.push({ key, target: 'mod', op: '=', value: validateRevision(b.ifModRev, 'ifModRev') });
    if (b.ifVersion !== undefined) compare.push({ key, target: 'version', op: '=', value: validateRevision(b.ifVersion, 'ifVersion') });
    if (b.ifValue !== undefined) compare.push({ key, target: 'value', op: '=', value: validateValue(b.ifValue) });
    if (b.ifAbsent === true) compare.push({ key, target: 'create', op: '=', value: 0 });
    const opts = callOptions(req);
    if (compare.length === 0) {
      const r = await core.write({ op: 'put', key, value, ...(lease ? { lease } : {}), ...fence }, opts);
      if (r.op !== 'put') throw new CcmError('internal', `unexpected result ${r.op}`);
      return { revision: r.revision, ...(r.prev ? { prev: r.prev } : {}) };
    }
    const r = await core.write({ op: 'txn', compare, success: [put], failure: [{ op: 'get', key }], ...fence }, opts);
    if (r.op !== 'txn') throw new CcmError('internal', `unexpected result ${r.op}`);
    if (!r.succeeded) throw casFailure(key, r.results[0]);
    const prev = r.results[0].op === 'put' ? r.results[0].prev : undefined;
    return { revision: r.revision, ...(prev ? { prev } : {}) };
  }, { body: putKvBody });

  http.route('DELETE', '/v1/kv', async ({ query, req }): Promise<KvDeleteResult> => {
    const key = validateUserWriteKey(query.get('key') ?? '');
    const prefix = flag(query.get('prefix'));
    const ifModRev = query.get('ifModRev');
    const fenceText = query.get('fence');
    const fence = fenceText === null ? {} : { fence: parseFence(fenceText) };
    const opts = callOptions(req);
    if (ifModRev === null) {
      const r = await core.write({ op: 'delete', key, prefix, ...fence }, opts);
      if (r.op !== 'delete') throw new CcmError('internal', `unexpected result ${r.op}`);
      if (!prefix && r.deleted === 0) throw new CcmError('not_found', `key ${key} not found`);
      return { revision: r.revision, deleted: r.deleted };
    }
    if (prefix) throw new CcmError('invalid_argument', 'ifModRev cannot be combined with a prefix delete');
    const rev = validateRevision(Number(ifModRev), 'ifModRev');
    const r = await core.write({ op: 'txn', compare: [{ key, target: 'mod', op: '=', value: rev }], success: [{ op: 'delete', key }], failure: [{ op: 'get', key }], ...fence }, opts);
    if (r.op !== 'txn') throw new CcmError('internal', `unexpected result ${r.op}`);
    if (!r.succeeded) throw casFailure(key, r.results[0]);
    return { revision: r.revision, deleted: 1 };
  }, { query: deleteKvQuery });

  http.route('POST', '/v1/kv/txn', async ({ body: b, req }): Promise<KvTxnResult> => {
    const ops = Math.max(b.success?.length ?? 0, b.failure?.length ?? 0);
    if (b.compare.length > MAX_TXN_COMPARES || ops > MAX_TXN_OPS) {
      throw new RefusedInput('txn_too_large', 'invalid_argument', `a txn takes at most ${MAX_TXN_COMPARES} compares and ${MAX_TXN_OPS} ops per branch (got ${b.compare.length} and ${ops})`);
    }
    const compare = b.compare.map(validateCompare);
    const success = validateTxnOps(b.success ?? [], true);
    const failure = validateTxnOps(b.failure ?? [], true);
    const r = await core.write({ op: 'txn', compare, success, failure, ...fenceOf(b.fence) }, callOptions(req));
    if (r.op !== 'txn') throw new CcmError('internal', `unexpected result ${r.op}`);
    return { succeeded: r.succeeded, revision: r.revision, results: r.results };
  }, { body: txnBody });

  http.route('POST', '/v1/kv/compact', async ({ body, req }) => core.write({ op: 'compact', revision: body.revision }, callOptions(req)), { body: compactBody });
}

/** An optional `fence` of a request body, spread into the command. */
function fenceOf(value: unknown): { fence?: Fence } {
  return value === undefined ? {} : { fence: validateFence(value) };
}

function casFailure(key: string, current: { op: string; kvs?: { modRevision: number; version: number }[] }): CcmError {
  const kv = current.kvs?.[0];
  if (!kv) return new CcmError('not_found', `key ${key} does not exist, so the compare-and-set did not apply`);
  return new CcmError('failed_precondition', `compare failed: ${key} is at mod revision ${kv.modRevision} (version ${kv.version}); nothing changed`, {
    modRevision: kv.modRevision,
    version: kv.version,
  });
}
