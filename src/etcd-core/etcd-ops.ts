/** etcd's calls the core port uses, typed, each with the caller's deadline (the scheduler's milliseconds). */
import type { KeySpan } from '../core/key-span.js';
import { spanBytes, text, toKeyValue, type EtcdCompare, type EtcdKv, type RangeResponse, type RequestOp, type TxnResponse } from './etcd-codec.js';
import { ccmErrorOf, type EtcdRpc } from './etcd-rpc.js';
import { CcmError } from '../errors/ccm-error.js';
import type { KeyValue } from '../core/kv-types.js';

export class EtcdOps {
  constructor(readonly rpc: EtcdRpc) {}

  range(span: KeySpan, deadline: number, extra: { revision?: number; limit?: number; countOnly?: boolean; serializable?: boolean; sort?: object } = {}): Promise<RangeResponse> {
    const request = {
      ...spanBytes(span),
      revision: String(extra.revision ?? 0),
      limit: String(extra.limit ?? 0),
      count_only: extra.countOnly === true,
      serializable: extra.serializable === true,
      ...(extra.sort ?? {}),
    };
    return this.rpc.call<RangeResponse>('KV', 'Range', request, deadline, true);
  }

  async get(key: string, deadline: number): Promise<KeyValue | null> {
    const r = await this.range({ key }, deadline);
    return r.kvs[0] ? toKeyValue(r.kvs[0]) : null;
  }

  /** A txn; `readOnly` (only ranges, no compares that matter): repeated on another endpoint if one does not answer. */
  txn(compare: EtcdCompare[], success: RequestOp[], failure: RequestOp[], deadline: number, readOnly = false): Promise<TxnResponse> {
    return this.rpc.call<TxnResponse>('KV', 'Txn', { compare, success, failure }, deadline, readOnly);
  }

  /** Several ranges read at one revision (a txn of reads). */
  async snapshot(reads: RequestOp[], deadline: number): Promise<{ revision: number; ranges: EtcdKv[][]; counts: number[] }> {
    const r = await this.txn([], reads, [], deadline, true);
    const ranges = r.responses.map((x) => (x.response === 'response_range' ? x.response_range.kvs : []));
    const counts = r.responses.map((x) => (x.response === 'response_range' ? Number(x.response_range.count) : 0));
    return { revision: Number(r.header.revision), ranges, counts };
  }

  put(key: string, value: string, lease: number, deadline: number): Promise<{ header: { revision: string }; prev_kv: EtcdKv | null }> {
    return this.rpc.call('KV', 'Put', { key: text(key), value: text(value), lease: String(lease), prev_kv: true }, deadline, false);
  }

  async leaseGrant(id: number, ttlSeconds: number, deadline: number): Promise<{ id: number; ttlSeconds: number }> {
    const r = await this.rpc.call<{ ID: string; TTL: string; error: string }>('Lease', 'LeaseGrant', { ID: String(id), TTL: String(ttlSeconds) }, deadline, false);
    if (r.error) throw new CcmError('failed_precondition', `etcd: ${r.error}`);
    return { id: Number(r.ID), ttlSeconds: Number(r.TTL) };
  }

  async leaseRevoke(id: number, deadline: number): Promise<number> {
    const r = await this.rpc.call<{ header: { revision: string } }>('Lease', 'LeaseRevoke', { ID: String(id) }, deadline, true);
    return Number(r.header.revision);
  }

  /** Seconds left (-1: no such lease), the TTL granted, and the keys attached. */
  async timeToLive(id: number, deadline: number): Promise<{ ttlSeconds: number; grantedTtlSeconds: number; keys: string[] }> {
    const r = await this.rpc.call<{ TTL: string; grantedTTL: string; keys: Buffer[] }>('Lease', 'LeaseTimeToLive', { ID: String(id), keys: true }, deadline, true);
    return { ttlSeconds: Number(r.TTL), grantedTtlSeconds: Number(r.grantedTTL), keys: r.keys.map((k) => k.toString('utf8')) };
  }

  async leaseIds(deadline: number): Promise<number[]> {
    const r = await this.rpc.call<{ leases: { ID: string }[] }>('Lease', 'LeaseLeases', {}, deadline, true);
    return r.leases.map((l) => Number(l.ID));
  }

  /** One keep-alive (etcd's KeepAliveOnce): the TTL restarts; answers the TTL in seconds (0 or less: no such lease). */
  keepAliveOnce(id: number, deadline: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let call: ReturnType<EtcdRpc['stream']>;
      try {
        call = this.rpc.stream('Lease', 'LeaseKeepAlive', deadline);
      } catch (err) {
        reject(err);
        return;
      }
      const { stream, target } = call;
      let isDone = false;
      const done = (fn: () => void): void => {
        if (isDone) return;
        isDone = true;
        stream.removeAllListeners('data');
        stream.on('error', () => undefined);
        stream.cancel();
        fn();
      };
      stream.on('data', (r: { TTL: string }) => done(() => resolve(Number(r.TTL))));
      stream.on('error', (err: unknown) => {
        done(() => reject(ccmErrorOf(err, target)));
        this.rpc.moveOn(target);
      });
      stream.on('end', () => done(() => reject(new CcmError('unavailable', `etcd ${target}: keep-alive stream ended`))));
      stream.write({ ID: String(id) });
    });
  }
}
