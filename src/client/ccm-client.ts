import fs from 'node:fs';
import type http from 'node:http';
import { apiGet, type ApiCredentials } from './api-access.js';
import { CcmError } from '../errors/ccm-error.js';
import type { WatchEvent } from '../core/kv-types.js';
import type { AcquireResponse, KvDeleteResult, KvPutResult, KvTxnResult, LeaseView, LockView, NodeLockStatsView, RangeResult } from '../api/api-types.js';
import { requestJson, type Endpoint } from './http-json.js';
import { backoffMs, retry, type BackoffPolicy } from '../time/backoff.js';
import { systemScheduler } from '../time/scheduler.js';
import type { Compare, Fence, TxnOp } from '../core/commands.js';
import type { ApplyResult } from '../core/state-machine.js';
import { LOCK_PREFIX } from '../core/kv-types.js';
import type {
  ConfigEntryView,
  ConfigExportDocument,
  ConfigHistoryView,
  ConfigImportResult,
  ConfigListView,
  ConfigMirrorView,
  ConfigStatusView,
  ConfigType,
  ElectionChange,
  ElectionLeadership,
  ElectionView,
  JsonValue,
  ServiceChange,
  ServiceInstanceView,
  ServiceListView,
  ServiceLookupView,
} from '../api/api-types.js';
import { CONFIG_PREFIX } from '../services/config-manager.js';
import { decodeRecord, entryView } from '../services/config-values.js';
import { instanceView, servicePrefix } from '../services/service-records.js';

export interface NodeEndpoint extends Endpoint {
  id: string;
}

export interface ClientOptions {
  /** Overall deadline per call, retries included. Default 5 s. */
  timeoutMs?: number;
  /** The cluster's API token (default: what this process knows for the nodes' addresses, see api-access.ts). */
  token?: string;
  /** The cluster CA's certificate (PEM), for a cluster started with --tls. */
  ca?: string;
}

export interface CallOverrides {
  timeoutMs?: number;
}

/** Errors after which the request certainly did not take effect, so trying again (elsewhere) is safe. */
const RETRYABLE: ReadonlySet<string> = new Set(['no_leader', 'not_leader', 'proposal_dropped']);
/** Between tries of one call (within its deadline). */
const CALL_RETRY: BackoffPolicy = { firstMs: 20, maxMs: 200 };
/** Between a watch's streams (counting every stream, not only failed ones). */
const WATCH_RECONNECT: BackoffPolicy = { firstMs: 50, maxMs: 1000 };

/** A refused connection: the request never reached the node, so it is safe to send it elsewhere. */
function isNotSent(e: CcmError): boolean {
  return e.code === 'unavailable' && (e.details as { notSent?: boolean } | undefined)?.notSent === true;
}

/**
 * The typed ccm client, used by the CLI, the tests, the benchmarks and users' programs. Give it every node's
 * address: it sends to the leader once it knows it (every answer names the leader), and retries on another
 * node only when a request certainly did not take effect (no leader yet, connection refused). A timeout is
 * reported as such: the write may or may not have happened.
 */
export class CcmClient {
  /** The leader's node id, as the last answer named it. */
  private leader: string | null = null;
  /**
   * Each endpoint's node id, as its answers name it (x-ccm-node): endpoints given as bare addresses (CCM_ENDPOINTS)
   * have placeholder ids, and the leader's id is matched against these too.
   */
  private readonly nodeIds = new Map<NodeEndpoint, string>();
  /** Endpoints whose last call was not answered (refused, timed out): not probed for the leader until they answer. */
  private readonly silent = new Set<NodeEndpoint>();
  private cursor = 0;
  private readonly timeoutMs: number;

  private readonly endpoints: NodeEndpoint[];

  constructor(endpoints: NodeEndpoint[], options: ClientOptions = {}) {
    if (endpoints.length === 0) throw new CcmError('invalid_argument', 'a client needs at least one node address');
    this.timeoutMs = options.timeoutMs ?? 5000;
    const given: ApiCredentials | undefined =
      options.token !== undefined || options.ca !== undefined ? { ...(options.token ? { token: options.token, adminToken: options.token } : {}), ...(options.ca ? { ca: options.ca } : {}) } : undefined;
    this.endpoints = given ? endpoints.map((e) => ({ ...e, credentials: { ...e.credentials, ...given } })) : endpoints;
  }

  /**
   * A client from the environment `eval "$(ccm env)"` sets: CCM_ENDPOINTS (comma-separated URLs), CCM_TOKEN, and
   * CCM_CACERT (a CA file) for a cluster with TLS.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: Omit<ClientOptions, 'token' | 'ca'> = {}): CcmClient {
    const list = (env.CCM_ENDPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new CcmError('invalid_argument', 'CCM_ENDPOINTS is not set (eval "$(ccm env)" sets it)');
    const endpoints = list.map((text, i): NodeEndpoint => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new CcmError('invalid_argument', `CCM_ENDPOINTS: ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:2379)`);
      }
      return { id: `e${i + 1}`, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
    });
    const ca = env.CCM_CACERT ? readCa(env.CCM_CACERT) : undefined;
    return new CcmClient(endpoints, { ...options, token: env.CCM_TOKEN, ca });
  }

  /** Watches a key or prefix; see `watch` below. */
  watch(key: string, opts: WatchOptions): Watch {
    const leaderFirst = this.leader ? [...this.endpoints].sort((a, b) => (this.isLeader(a) ? -1 : this.isLeader(b) ? 1 : 0)) : this.endpoints;
    return watch(leaderFirst, key, opts);
  }

  /** The node the client believes leads the core (null before the first answer). */
  knownLeader(): string | null {
    return this.leader;
  }

  /** With `fence`, written only if no newer grant of that resource exists (else `stale_token`, nothing written). */
  async put(key: string, value: string, opts: { lease?: number; ifModRev?: number; ifVersion?: number; ifValue?: string; ifAbsent?: boolean; fence?: Fence } & CallOverrides = {}): Promise<KvPutResult> {
    const { timeoutMs, ...rest } = opts;
    return this.call('PUT', '/v1/kv', { key, value, ...rest }, { timeoutMs });
  }

  /** `rev`: the keys as of that revision; `prev`: the key as it was just before its last change. */
  async get(key: string, opts: { prefix?: boolean; serializable?: boolean; limit?: number; rev?: number; prev?: boolean } & CallOverrides = {}): Promise<RangeResult> {
    return this.call('GET', '/v1/kv', undefined, {
      query: { key, prefix: opts.prefix || undefined, serializable: opts.serializable || undefined, limit: opts.limit, rev: opts.rev, prev: opts.prev || undefined },
      timeoutMs: opts.timeoutMs,
    });
  }

  async delete(key: string, opts: { prefix?: boolean; ifModRev?: number; fence?: Fence } & CallOverrides = {}): Promise<KvDeleteResult> {
    const fence = opts.fence ? `${opts.fence.resource}:${opts.fence.token}` : undefined;
    return this.call('DELETE', '/v1/kv', undefined, { query: { key, prefix: opts.prefix || undefined, ifModRev: opts.ifModRev, fence }, timeoutMs: opts.timeoutMs });
  }

  async txn(compare: Compare[], success: TxnOp[], failure: TxnOp[] = [], opts: { fence?: Fence } & CallOverrides = {}): Promise<KvTxnResult> {
    return this.call('POST', '/v1/kv/txn', { compare, success, failure, ...(opts.fence ? { fence: opts.fence } : {}) }, { timeoutMs: opts.timeoutMs });
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

  /** Renews the lease that holds `resource` (fails if it does not hold it); `secret` is the one its grant returned. */
  async renewLock(resource: string, lease: number, secret: string, opts: CallOverrides = {}): Promise<{ lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/locks/${encodeURIComponent(resource)}/renew`, { lease, secret }, opts);
  }

  async release(resource: string, lease: number, secret: string, opts: CallOverrides = {}): Promise<{ resource: string; lease: number; revision: number; nextHolder?: string }> {
    return this.call('POST', `/v1/locks/${encodeURIComponent(resource)}/release`, { lease, secret }, opts);
  }

  async locks(opts: CallOverrides = {}): Promise<{ locks: LockView[]; revision: number }> {
    return this.call('GET', '/v1/locks', undefined, opts);
  }

  async lock(resource: string, opts: CallOverrides = {}): Promise<LockView> {
    return this.call('GET', `/v1/locks/${encodeURIComponent(resource)}`, undefined, opts);
  }

  /** Lease utilization per resource, as the leader (once known) observed it; a member answers isReplica: false. */
  async lockStats(resource?: string, opts: CallOverrides = {}): Promise<NodeLockStatsView> {
    return this.call('GET', '/v1/lock-stats', undefined, { ...opts, query: resource === undefined ? undefined : { resource } });
  }

  /** A generic lease; the answer's `secret` (given once) is what renewing or revoking it needs. */
  async grantLease(ttlMs: number, owner?: string, opts: CallOverrides = {}): Promise<{ id: number; ttlMs: number; secret: string }> {
    return this.call('POST', '/v1/leases', { ttlMs, owner }, opts);
  }

  async renewLease(id: number, secret: string, opts: CallOverrides = {}): Promise<{ lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/leases/${id}/renew`, { secret }, opts);
  }

  /** Ends a lease with its secret; or, with `force` (the admin token), any lease. */
  async revokeLease(id: number, auth: { secret: string } | { force: true }, opts: CallOverrides = {}): Promise<{ id: number; deletedKeys: number; revision: number }> {
    if ('force' in auth) return this.call('DELETE', `/admin/leases/${id}`, undefined, opts);
    return this.call('DELETE', `/v1/leases/${id}`, { secret: auth.secret }, opts);
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
    let lastError: CcmError | null = null;
    return retry(
      async () => {
        const target = opts.node ? this.byId(opts.node) : this.pick();
        const left = deadline - Date.now();
        if (left <= 0) throw lastError ?? new CcmError('timeout', `no answer within ${opts.timeoutMs ?? this.timeoutMs} ms`);
        try {
          return await requestJson<T>(target, method, path, body, {
            query: opts.query,
            timeoutMs: left,
            headers: { 'x-ccm-timeout-ms': String(Math.max(1, left - 20)) },
            onHeaders: (h) => {
              this.silent.delete(target);
              const node = h['x-ccm-node'];
              if (typeof node === 'string' && node.length > 0) this.nodeIds.set(target, node);
              const leader = h['x-ccm-leader'];
              if (typeof leader === 'string' && leader.length > 0) this.leader = leader;
            },
          });
        } catch (err) {
          const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message);
          lastError = e;
          // A node that refused the connection, or did not answer in time (paused, cut off), is not asked first
          // again: the next call starts at another node (as etcd's client balancer does), not at the same silence.
          if (isNotSent(e) || e.code === 'timeout') {
            this.silent.add(target);
            if (this.isLeader(target)) this.leader = null;
            if (this.endpoints[this.cursor % this.endpoints.length].id === target.id) this.cursor++;
          }
          throw e;
        }
      },
      { policy: CALL_RETRY, deadlineMs: deadline, shouldRetry: (e) => !opts.node && (RETRYABLE.has((e as CcmError).code) || isNotSent(e as CcmError)) },
    );
  }

  /**
   * The leader's endpoint when the client knows it; while the leader is named but not yet matched to an address, an
   * endpoint that has not answered yet and is not known silent (it may be the leader); else the next in turn.
   */
  private pick(): NodeEndpoint {
    if (this.leader) {
      const e = this.endpoints.find((x) => this.isLeader(x));
      if (e) return e;
      const unmatched = this.endpoints.find((x) => !this.nodeIds.has(x) && !this.silent.has(x));
      if (unmatched) return unmatched;
    }
    return this.endpoints[this.cursor % this.endpoints.length];
  }

  private isLeader(e: NodeEndpoint): boolean {
    return this.leader !== null && (e.id === this.leader || this.nodeIds.get(e) === this.leader);
  }

  private byId(id: string): NodeEndpoint {
    const e = this.endpoints.find((x) => x.id === id);
    if (!e) throw new CcmError('not_found', `unknown node "${id}"`);
    return e;
  }

  // ---- configuration manager (/v1/config) ----------------------------------------------------------------------

  /** The current version of a config entry; with `local`, as the answering node's mirror holds it (maybe stale). */
  async getConfig(name: string, opts: { local?: boolean; node?: string } & CallOverrides = {}): Promise<ConfigEntryView> {
    return this.call('GET', `/v1/config/${encodeURIComponent(name)}`, undefined, { query: { local: opts.local || undefined }, timeoutMs: opts.timeoutMs, node: opts.node });
  }

  async listConfig(prefix = '', opts: CallOverrides = {}): Promise<ConfigListView> {
    return this.call('GET', '/v1/config', undefined, { query: { prefix: prefix || undefined }, timeoutMs: opts.timeoutMs });
  }

  /** Sets a value (text, or a typed JSON value); without `type` the entry keeps its type (string if new). */
  async setConfig(name: string, value: JsonValue, opts: { type?: ConfigType; by?: string; ifVersion?: number } & CallOverrides = {}): Promise<ConfigEntryView> {
    const { timeoutMs, ...rest } = opts;
    return this.call('PUT', `/v1/config/${encodeURIComponent(name)}`, { value, ...rest }, { timeoutMs });
  }

  async deleteConfig(name: string, opts: { by?: string; ifVersion?: number } & CallOverrides = {}): Promise<ConfigEntryView> {
    return this.call('DELETE', `/v1/config/${encodeURIComponent(name)}`, undefined, { query: { by: opts.by, ifVersion: opts.ifVersion }, timeoutMs: opts.timeoutMs });
  }

  async configHistory(name: string, opts: CallOverrides = {}): Promise<ConfigHistoryView> {
    return this.call('GET', `/v1/config/${encodeURIComponent(name)}/history`, undefined, opts);
  }

  async rollbackConfig(name: string, toVersion: number, opts: { by?: string } & CallOverrides = {}): Promise<ConfigEntryView> {
    return this.call('POST', `/v1/config/${encodeURIComponent(name)}/rollback`, { toVersion, by: opts.by }, { timeoutMs: opts.timeoutMs });
  }

  /** Imports a document (as `exportConfig` gives) in one transaction: all entries or none. */
  async importConfig(entries: unknown, opts: { by?: string } & CallOverrides = {}): Promise<ConfigImportResult> {
    return this.call('POST', '/v1/config-import', { entries, by: opts.by }, { timeoutMs: opts.timeoutMs });
  }

  async exportConfig(prefix = '', opts: CallOverrides = {}): Promise<ConfigExportDocument> {
    return this.call('GET', '/v1/config-export', undefined, { query: { prefix: prefix || undefined }, timeoutMs: opts.timeoutMs });
  }

  /** One node's config mirror: the config revision it has applied. */
  async configMirror(node: string, opts: CallOverrides = {}): Promise<ConfigMirrorView> {
    return this.call('GET', '/v1/config-mirror', undefined, { node, timeoutMs: opts.timeoutMs ?? 2000 });
  }

  /** Every node's config revision against the cluster's (a linearizable read): which nodes have caught up. */
  async configStatus(opts: CallOverrides = {}): Promise<ConfigStatusView> {
    const { configRevision } = await this.listConfig('', opts);
    const nodes = await Promise.all(
      this.endpoints.map(async (e): Promise<ConfigStatusView['nodes'][number]> => {
        try {
          const m = await this.configMirror(e.id, { timeoutMs: Math.min(opts.timeoutMs ?? 2000, 2000) });
          return { node: e.id, configRevision: m.configRevision, isCaughtUp: m.configRevision >= configRevision, isSynced: m.isSynced };
        } catch (err) {
          return { node: e.id, configRevision: null, isCaughtUp: false, isSynced: null, error: (err as Error).message };
        }
      }),
    );
    return { configRevision, nodes: nodes.sort((a, b) => a.node.localeCompare(b.node, 'en', { numeric: true })) };
  }

  /** Streams config changes under a name prefix ('' for all), decoded, from now (or `fromRevision`). */
  watchConfig(prefix: string, opts: { onChange: (entry: ConfigEntryView) => void; fromRevision?: number; onReconnect?: WatchOptions['onReconnect']; onProgress?: WatchOptions['onProgress'] }): Watch {
    return this.watch(CONFIG_PREFIX + prefix, {
      prefix: true,
      fromRevision: opts.fromRevision,
      onReconnect: opts.onReconnect,
      onProgress: opts.onProgress,
      onEvents: (events) => {
        for (const e of events) if (e.type === 'put') opts.onChange(entryView(decodeRecord(e.kv.value), e.kv.modRevision));
      },
    });
  }

  // ---- service registry (/v1/services, /v1/service-instances) --------------------------------------------------

  /** Registers an instance under a new lease of `ttlMs`; `node` sends it to (and has its checks run by) that node. */
  async registerService(
    service: string,
    reg: { id: string; address: string; port: number; ttlMs: number; tags?: string[]; check?: { http?: string; tcp?: string; intervalMs?: number; timeoutMs?: number }; deregisterAfterMs?: number; by?: string },
    opts: { node?: string } & CallOverrides = {},
  ): Promise<ServiceInstanceView & { secret: string }> {
    return this.call('POST', `/v1/services/${encodeURIComponent(service)}/instances`, reg, { node: opts.node, timeoutMs: opts.timeoutMs });
  }

  /** Passing instances of a service, or every one with `all`. */
  async lookupService(service: string, opts: { all?: boolean } & CallOverrides = {}): Promise<ServiceLookupView> {
    return this.call('GET', `/v1/services/${encodeURIComponent(service)}`, undefined, { query: { all: opts.all || undefined }, timeoutMs: opts.timeoutMs });
  }

  async listServices(opts: CallOverrides = {}): Promise<ServiceListView> {
    return this.call('GET', '/v1/services', undefined, opts);
  }

  async serviceInstance(id: string, opts: CallOverrides = {}): Promise<ServiceInstanceView> {
    return this.call('GET', `/v1/service-instances/${encodeURIComponent(id)}`, undefined, opts);
  }

  /** `secret`: the one the registration returned. */
  async renewService(id: string, secret: string, opts: CallOverrides = {}): Promise<{ service: string; id: string; lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/service-instances/${encodeURIComponent(id)}/renew`, { secret }, opts);
  }

  /** With the registration's secret; or, with `force` (the admin token), by revoking the instance's lease. */
  async deregisterService(id: string, auth: { secret: string } | { force: true }, opts: CallOverrides = {}): Promise<{ service: string; id: string; lease: number; revision: number }> {
    if ('force' in auth) {
      const instance = await this.serviceInstance(id, opts);
      const r = await this.revokeLease(instance.lease, auth, opts);
      return { service: instance.service, id, lease: instance.lease, revision: r.revision };
    }
    return this.call('DELETE', `/v1/service-instances/${encodeURIComponent(id)}`, { secret: auth.secret }, opts);
  }

  /** Streams registrations, changes and deregistrations of a service's instances, from now (or `fromRevision`). */
  watchService(service: string, opts: { onChange: (change: ServiceChange) => void; fromRevision?: number; onReconnect?: WatchOptions['onReconnect'] }): Watch {
    return this.watch(servicePrefix(service), {
      prefix: true,
      fromRevision: opts.fromRevision,
      onReconnect: opts.onReconnect,
      onEvents: (events, revision) => {
        for (const e of events) {
          const id = e.kv.key.slice(servicePrefix(service).length);
          if (e.type === 'put') {
            const instance = instanceView(e.kv);
            opts.onChange({ type: e.kv.createRevision === e.kv.modRevision ? 'registered' : 'updated', service, id, instance, revision });
          } else {
            const last = e.prevValue ? instanceView({ ...e.kv, value: e.prevValue }) : null;
            opts.onChange({ type: 'deregistered', service, id, instance: last, revision });
          }
        }
      },
    });
  }

  // ---- leader election (/v1/elections) --------------------------------------------------------------------------

  /** Waits in line until `id` leads `name` (at most `waitTimeoutMs`, default 10 min: then `held`). */
  async campaign(name: string, opts: { id: string; ttlMs: number; waitTimeoutMs?: number } & CallOverrides): Promise<ElectionLeadership> {
    const { timeoutMs, ...rest } = opts;
    const waitMs = rest.waitTimeoutMs ?? 600_000;
    return this.call('POST', `/v1/elections/${encodeURIComponent(name)}/campaign`, rest, { timeoutMs: (timeoutMs ?? this.timeoutMs) + waitMs });
  }

  /** Keeps leading; fails with failed_precondition or not_found once this lease no longer leads. */
  async renewLeadership(name: string, lease: number, secret: string, opts: CallOverrides = {}): Promise<{ election: string; lease: number; ttlMs: number; renewals: number }> {
    return this.call('POST', `/v1/elections/${encodeURIComponent(name)}/renew`, { lease, secret }, opts);
  }

  async resign(name: string, lease: number, secret: string, opts: CallOverrides = {}): Promise<{ election: string; lease: number; revision: number; nextLeader?: string }> {
    return this.call('POST', `/v1/elections/${encodeURIComponent(name)}/resign`, { lease, secret }, opts);
  }

  async electionLeader(name: string, opts: CallOverrides = {}): Promise<ElectionView> {
    return this.call('GET', `/v1/elections/${encodeURIComponent(name)}`, undefined, opts);
  }

  async elections(opts: CallOverrides = {}): Promise<{ elections: ElectionView[]; revision: number }> {
    return this.call('GET', '/v1/elections', undefined, opts);
  }

  /** Calls `onChange` with the leadership now, then after every change, until the watch is closed. */
  async observeElection(name: string, opts: { onChange: (change: ElectionChange) => void; onReconnect?: WatchOptions['onReconnect'] }): Promise<Watch> {
    const now = await this.electionLeader(name);
    opts.onChange({ election: name, leader: now.leader ? { id: now.leader.id, lease: now.leader.lease, token: now.leader.token } : null, revision: now.revision, atMs: Date.now() });
    const key = `${LOCK_PREFIX}election:${name}`;
    return this.watch(key, {
      fromRevision: now.revision + 1,
      onReconnect: opts.onReconnect,
      onEvents: (events, revision) => {
        // A hand-over deletes and re-creates the key in one revision: the last event is the leadership after it.
        const last = events.filter((e) => e.kv.key === key).pop();
        if (!last) return;
        const leader = last.type === 'put' ? { ...(JSON.parse(last.kv.value) as { holder: string; lease: number }), token: last.kv.createRevision } : null;
        opts.onChange({ election: name, leader: leader ? { id: leader.holder, lease: leader.lease, token: leader.token } : null, revision, atMs: Date.now() });
      },
    });
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
      const req = apiGet(ep, `/v1/watch?${q}`, (res) => {
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
      await systemScheduler.sleep(backoffMs(attempt, WATCH_RECONNECT));
    }
  })();
  return handle;
}

function readCa(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CcmError('invalid_argument', `CCM_CACERT: cannot read ${file}: ${(err as Error).message}`);
  }
}
