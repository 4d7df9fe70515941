import http from 'node:http';
import { CcmError } from './api-errors.js';
import type { WatchEvent } from '../core/kv-types.js';
import type { AcquireResponse, KvDeleteResult, KvPutResult, KvTxnResult, LeaseView, LockView, RangeResult } from './api-types.js';
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

  /** Watches a key or prefix; see `watch` below. */
  watch(key: string, opts: WatchOptions): Watch {
    const leaderFirst = this.leader ? [...this.endpoints].sort((a, b) => (a.id === this.leader ? -1 : b.id === this.leader ? 1 : 0)) : this.endpoints;
    return watch(leaderFirst, key, opts);
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

  /** Lease manager: take `resource` for `ttlMs`; with `wait`, queue (first come, first served) until granted or `waitTimeoutMs`. */
  async acquire(resource: string, opts: { holder: string; ttlMs: number; wait?: boolean; waitTimeoutMs?: number } & CallOverrides): Promise<Extract<AcquireResponse, { granted: true }>> {
    const { timeoutMs, ...rest } = opts;
    const waitMs = rest.wait ? (rest.waitTimeoutMs ?? 30_000) : 0;
    return this.call('POST', `/v1/locks/${encodeURIComponent(resource)}/acquire`, rest, { timeoutMs: (timeoutMs ?? this.timeoutMs) + waitMs });
  }

  /** Renews the lease that holds `resource` (fails if it does not hold it). */
  async renewLock(resource: string, lease: number, opts: CallOverrides = {}): Promise<{ lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/locks/${encodeURIComponent(resource)}/renew`, { lease }, opts);
  }

  async release(resource: string, lease: number, opts: CallOverrides = {}): Promise<{ resource: string; lease: number; revision: number; nextHolder?: string }> {
    return this.call('POST', `/v1/locks/${encodeURIComponent(resource)}/release`, { lease }, opts);
  }

  async locks(opts: CallOverrides = {}): Promise<{ locks: LockView[]; revision: number }> {
    return this.call('GET', '/v1/locks', undefined, opts);
  }

  async lock(resource: string, opts: CallOverrides = {}): Promise<LockView> {
    return this.call('GET', `/v1/locks/${encodeURIComponent(resource)}`, undefined, opts);
  }

  async grantLease(ttlMs: number, owner?: string, opts: CallOverrides = {}): Promise<{ id: number; ttlMs: number }> {
    return this.call('POST', '/v1/leases', { ttlMs, owner }, opts);
  }

  async renewLease(id: number, opts: CallOverrides = {}): Promise<{ lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/leases/${id}/renew`, {}, opts);
  }

  async revokeLease(id: number, opts: CallOverrides = {}): Promise<{ id: number; deletedKeys: number; revision: number }> {
    return this.call('DELETE', `/v1/leases/${id}`, undefined, opts);
  }

  async leases(opts: CallOverrides = {}): Promise<{ leases: LeaseView[] }> {
    return this.call('GET', '/v1/leases', undefined, opts);
  }

  /** Changes the core's membership: add a learner, promote it (add-voter), or remove a node. */
  async changeCore(action: 'add-learner' | 'add-voter' | 'promote' | 'remove', node: string, opts: CallOverrides = {}): Promise<{ voters: string[]; learners: string[] }> {
    return this.call('POST', '/v1/core/members', { action, node }, { timeoutMs: opts.timeoutMs ?? 15_000 });
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

export interface WatchOptions {
  prefix?: boolean;
  /** First revision to deliver (inclusive); default: only changes from now on. */
  fromRevision?: number;
  progressMs?: number;
  /** Called for each batch of events (all at one revision). */
  onEvents: (events: WatchEvent[], revision: number) => void;
  onProgress?: (revision: number) => void;
  /** Called when the stream moves to another node (after a failure), with the revision it resumes from. */
  onReconnect?: (node: string, fromRevision: number, reason: string) => void;
  /** Give up after this long without any node answering. Default 30 s. */
  reconnectTimeoutMs?: number;
}

export interface Watch {
  /** Stops the watch. */
  close(): void;
  /** Settles when the watch ends: resolves after close(), rejects on a fatal error (e.g. compacted). */
  done: Promise<void>;
  /** The revision up to which every event has been delivered. */
  readonly revision: number;
}

/**
 * Watches a key or prefix across failures: when a node dies or restarts, the stream resumes on another node from
 * the last revision delivered + 1, so no event is lost or repeated. A `compacted` error is final.
 */
export function watch(endpoints: NodeEndpoint[], key: string, opts: WatchOptions): Watch {
  let revision = opts.fromRevision ? opts.fromRevision - 1 : 0;
  let isClosed = false;
  let current: http.ClientRequest | null = null;
  let cursor = 0;
  const handle: Watch = {
    close: () => {
      isClosed = true;
      current?.destroy();
    },
    done: Promise.resolve(),
    get revision() {
      return revision;
    },
  };
  const startOne = (ep: NodeEndpoint, from: number): Promise<'ended' | 'closed'> =>
    new Promise((resolve, reject) => {
      const q = new URLSearchParams({ key, ...(opts.prefix ? { prefix: 'true' } : {}), ...(from > 0 ? { fromRev: String(from) } : {}), ...(opts.progressMs ? { progressMs: String(opts.progressMs) } : {}) });
      const req = http.get({ host: ep.host, port: ep.port, path: `/v1/watch?${q}` }, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            try {
              reject(CcmError.fromBody(JSON.parse(body), res.statusCode));
            } catch {
              reject(new CcmError('unavailable', `watch refused by ${ep.id} (HTTP ${res.statusCode})`));
            }
          });
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const m = JSON.parse(line) as { type: string; events?: WatchEvent[]; revision?: number; error?: { code: string; message: string; details?: unknown } };
            if (m.type === 'events' && m.events && m.revision !== undefined) {
              if (m.revision <= revision) continue; // already delivered by an earlier stream
              revision = m.revision;
              opts.onEvents(m.events, m.revision);
            } else if (m.type === 'progress' && m.revision !== undefined) {
              if (m.revision > revision) revision = m.revision;
              opts.onProgress?.(m.revision);
            } else if (m.type === 'created' && m.revision !== undefined && revision === 0 && !opts.fromRevision) {
              revision = m.revision;
            } else if (m.type === 'error' && m.error) {
              const err = new CcmError(m.error.code as never, m.error.message, m.error.details);
              if (m.error.code === 'compacted') reject(err);
              else resolve('ended');
              req.destroy();
              return;
            }
          }
        });
        res.on('end', () => resolve(isClosed ? 'closed' : 'ended'));
        res.on('error', () => resolve(isClosed ? 'closed' : 'ended'));
      });
      req.on('error', () => resolve(isClosed ? 'closed' : 'ended'));
      current = req;
    });
  handle.done = (async () => {
    let lastOk = Date.now();
    let reason = '';
    for (let attempt = 0; !isClosed; attempt++) {
      const ep = endpoints[cursor % endpoints.length];
      if (attempt > 0) opts.onReconnect?.(ep.id, revision + 1, reason);
      try {
        const outcome = await startOne(ep, revision > 0 ? revision + 1 : opts.fromRevision ?? 0);
        if (outcome === 'closed' || isClosed) return;
        lastOk = Date.now();
        reason = `stream from ${ep.id} ended`;
      } catch (err) {
        if (err instanceof CcmError && err.code === 'compacted') throw err;
        reason = (err as Error).message;
      }
      cursor++;
      if (Date.now() - lastOk > (opts.reconnectTimeoutMs ?? 30_000)) throw new CcmError('unavailable', `watch: no node answered for ${opts.reconnectTimeoutMs ?? 30_000} ms (${reason})`);
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(attempt, 5), 1000)));
    }
  })();
  return handle;
}
