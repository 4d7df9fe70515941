import { CcmError } from './api-errors.js';
import type { KvDeleteResult, KvPutResult, KvTxnResult, RangeResult } from './api-types.js';
import { requestJson, type Endpoint } from './http-json.js';
import type { Compare, TxnOp } from '../core/commands.js';
import type { ApplyResult } from '../core/state-machine.js';

export interface NodeEndpoint extends Endpoint {
  id: string;
}

export interface ClientOptions {
  /** Overall deadline per call, retries included. Default 5 s. */
  timeoutMs?: number;
}

export interface CallOverrides {
  timeoutMs?: number;
}

/** Errors after which the request certainly did not take effect, so trying again (elsewhere) is safe. */
const RETRYABLE: ReadonlySet<string> = new Set(['no_leader', 'not_leader', 'proposal_dropped']);

/**
 * The typed ccm client, used by the CLI, the tests, the benchmarks and users' programs. Give it every node's
 * address: it sends to the leader once it knows it (every answer names the leader), and retries on another
 * node only when a request certainly did not take effect (no leader yet, connection refused). A timeout is
 * reported as such: the write may or may not have happened.
 */
export class CcmClient {
  private leader: string | null = null;
  private cursor = 0;
  private readonly timeoutMs: number;

  constructor(
    private readonly endpoints: NodeEndpoint[],
    options: ClientOptions = {},
  ) {
    if (endpoints.length === 0) throw new CcmError('invalid_argument', 'a client needs at least one node address');
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The node the client believes leads the core (null before the first answer). */
  knownLeader(): string | null {
    return this.leader;
  }

  async put(key: string, value: string, opts: { lease?: number; ifModRev?: number; ifVersion?: number; ifValue?: string; ifAbsent?: boolean } & CallOverrides = {}): Promise<KvPutResult> {
    const { timeoutMs, ...rest } = opts;
    return this.call('PUT', '/v1/kv', { key, value, ...rest }, { timeoutMs });
  }

  async get(key: string, opts: { prefix?: boolean; serializable?: boolean; limit?: number } & CallOverrides = {}): Promise<RangeResult> {
    return this.call('GET', '/v1/kv', undefined, { query: { key, prefix: opts.prefix || undefined, serializable: opts.serializable || undefined, limit: opts.limit }, timeoutMs: opts.timeoutMs });
  }

  async delete(key: string, opts: { prefix?: boolean; ifModRev?: number } & CallOverrides = {}): Promise<KvDeleteResult> {
    return this.call('DELETE', '/v1/kv', undefined, { query: { key, prefix: opts.prefix || undefined, ifModRev: opts.ifModRev }, timeoutMs: opts.timeoutMs });
  }

  async txn(compare: Compare[], success: TxnOp[], failure: TxnOp[] = [], opts: CallOverrides = {}): Promise<KvTxnResult> {
    return this.call('POST', '/v1/kv/txn', { compare, success, failure }, opts);
  }

  async compact(revision: number, opts: CallOverrides = {}): Promise<ApplyResult> {
    return this.call('POST', '/v1/kv/compact', { revision }, opts);
  }

  async transferLeader(to: string, opts: CallOverrides = {}): Promise<{ from: string; to: string }> {
    return this.call('POST', '/v1/core/transfer-leader', { to }, opts);
  }

  /**
   * One API call with leader preference and safe retries, within the deadline. `node` pins the call to one
   * node (no retry elsewhere).
   */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { query?: Record<string, string | number | boolean | undefined>; timeoutMs?: number; node?: string } = {},
  ): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.timeoutMs);
    let backoffMs = 20;
    let lastError: CcmError | null = null;
    for (let attempt = 0; ; attempt++) {
      const target = opts.node ? this.byId(opts.node) : this.pick();
      const left = deadline - Date.now();
      if (left <= 0) throw lastError ?? new CcmError('timeout', `no answer within ${opts.timeoutMs ?? this.timeoutMs} ms`);
      try {
        return await requestJson<T>(target, method, path, body, {
          query: opts.query,
          timeoutMs: left,
          headers: { 'x-ccm-timeout-ms': String(Math.max(1, left - 20)) },
          onHeaders: (h) => {
            const leader = h['x-ccm-leader'];
            if (typeof leader === 'string' && leader.length > 0 && this.endpoints.some((e) => e.id === leader)) this.leader = leader;
          },
        });
      } catch (err) {
        const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message);
        lastError = e;
        const notSent = e.code === 'unavailable' && (e.details as { notSent?: boolean } | undefined)?.notSent === true;
        if (notSent) {
          if (this.leader === target.id) this.leader = null;
          this.cursor++;
        }
        if (opts.node || !(RETRYABLE.has(e.code) || notSent)) throw e;
        if (deadline - Date.now() <= backoffMs) throw e;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 200);
        void attempt;
      }
    }
  }

  private pick(): NodeEndpoint {
    if (this.leader) {
      const e = this.endpoints.find((x) => x.id === this.leader);
      if (e) return e;
    }
    return this.endpoints[this.cursor % this.endpoints.length];
  }

  private byId(id: string): NodeEndpoint {
    const e = this.endpoints.find((x) => x.id === id);
    if (!e) throw new CcmError('not_found', `unknown node "${id}"`);
    return e;
  }
}
