/**
 * etcd's v3 API on this node (src/etcd), on its own port (`ports.etcd` in cluster.json): the etcd layer is written
 * against a narrow backend, implemented here on the node's consistent core, so that its writes and linearizable
 * reads take the same Raft path as the HTTP API, and its watches the same watch hub (or a member's relay).
 */
import fs from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import { CcmError } from '../../errors/ccm-error.js';
import { readTokens } from '../../cluster/cluster-secrets.js';
import type { EtcdBackend, NodeAddress, RaftView, WatchHandle } from '../../etcd/etcd-backend.js';
import { EtcdServer } from '../../etcd/etcd-server.js';
import { tokenMatcher } from '../http/http-guard.js';
import type { CallOptions, CoreService } from '../core/core-service.js';
import type { NodeMetrics } from '../metrics/metrics.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/** A refusal reason is logged at most this often (each is counted every time). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

function callOptions(deadlineMs: number): CallOptions {
  return { deadline: deadlineMs, hops: 0 };
}

/** The etcd layer's backend on this node's core. */
export function coreBackend(node: NodeRuntime, core: CoreService): EtcdBackend {
  return {
    nodeId: node.config.id,
    clusterName: node.config.cluster,
    write: (command, deadlineMs) => core.write(command, callOptions(deadlineMs)),
    async range(read, serializable, deadlineMs) {
      const r = await core.read({ kind: 'span', span: read.span, revision: read.revision, limit: read.limit, countOnly: read.countOnly }, serializable, callOptions(deadlineMs));
      if (!('kvs' in r)) throw new CcmError('internal', 'unexpected read result');
      return { kvs: r.kvs, count: r.count, revision: r.revision };
    },
    async lease(id, deadlineMs) {
      const r = await core.read({ kind: 'lease', id }, false, callOptions(deadlineMs));
      if (!('lease' in r)) throw new CcmError('internal', 'unexpected read result');
      const { ttlLeftMs, keys, ...lease } = r.lease;
      return { lease, ttlLeftMs, keys };
    },
    async leases(deadlineMs) {
      const r = await core.read({ kind: 'leases' }, false, callOptions(deadlineMs));
      if (!('leases' in r)) throw new CcmError('internal', 'unexpected read result');
      return r.leases;
    },
    watch(spec, handlers): WatchHandle {
      // A voter's hub hands every applied event to its watchers as it applies: caught up to the applied revision. A
      // member's relay says how far each poll got.
      let relayed = 0;
      const stop = core.subscribe(
        { key: spec.span.key, prefix: false, ...(spec.span.end !== undefined ? { end: spec.span.end } : {}), fromRevision: spec.fromRevision, prevKv: spec.prevKv },
        {
          onCreated: (revision) => {
            relayed = revision;
            handlers.onCreated(revision);
          },
          onBatch: (b) => {
            relayed = Math.max(relayed, b.revision);
            handlers.onEvents(b.events, b.revision);
          },
          onError: (err) => handlers.onError(err),
          onProgress: (revision) => (relayed = Math.max(relayed, revision)),
        },
      );
      const hub = core.replica() ? core.feed.hub : null;
      return { stop, syncedRevision: () => (hub ? hub.revision() : relayed) };
    },
    raft(): RaftView {
      const replica = core.replica();
      if (!replica) {
        const view = core.coreView?.() ?? { leader: null, voters: node.config.core, term: 0 };
        return { term: view.term, leaderId: view.leader, lastIndex: 0, appliedIndex: 0, voters: view.voters.length > 0 ? view.voters : node.config.core, learners: [] };
      }
      const s = replica.raft.basicStatus();
      const conf = replica.state.appliedIndex().confState;
      return { term: s.term, leaderId: s.leaderId, lastIndex: s.lastIndex, appliedIndex: replica.appliedIndex(), voters: conf.voters, learners: conf.learners };
    },
    position() {
      const replica = core.replica();
      // A member runs no Raft: its term is the newest the replicas publish in gossip.
      return replica ? { term: replica.raft.basicStatus().term, revision: replica.state.revision() } : { term: core.coreView?.().term ?? 0, revision: 0 };
    },
    nodes(): Record<string, NodeAddress> {
      return Object.fromEntries(
        Object.entries(node.config.nodePorts).map(([id, p]) => [id, { host: node.config.host, peerPort: p.peer, ...(p.etcd !== undefined ? { etcdPort: p.etcd } : {}) }]),
      );
    },
    databaseBytes(): number {
      let bytes = 0;
      for (const suffix of ['', '-wal']) {
        try {
          bytes += fs.statSync(`${node.db.name}${suffix}`).size;
        } catch {
          // no WAL file yet
        }
      }
      return bytes;
    },
    async transferLeader(to, deadlineMs) {
      await core.transferLeader(to, callOptions(deadlineMs));
    },
    log(level, message, fields) {
      if (level === 'warn') node.log.warn(message, fields);
      else node.log.info(message, fields);
    },
  };
}

/** The etcd API as a node subsystem: listens on ports.etcd when the node starts (none when the cluster has no such port). */
export function createEtcdSubsystem(node: NodeRuntime, core: CoreService, metrics: NodeMetrics): NodeSubsystem {
  const port = node.config.ports.etcd;
  if (port === undefined) return {};
  // The cluster's tokens, as the HTTP API: etcd's Authenticate takes one as the password (any user name), and every
  // call must then carry it (etcd's `token` metadata, or `authorization: Bearer`); refusals are counted. The client
  // token does all but what etcd keeps for root (MoveLeader), which, as a leader transfer over HTTP, needs the admin one.
  const tokens = readTokens(node.config.secrets);
  if (!tokens) throw new Error(`cannot read the cluster's tokens in ${node.config.secrets.dir} (ccm up creates them)`);
  const isClient = tokenMatcher(tokens.client);
  const isAdmin = tokenMatcher(tokens.admin);
  const auth = { check: (token: string) => isClient(token) || isAdmin(token), isAdmin };
  const server = new EtcdServer({ backend: coreBackend(node, core), host: node.config.host, port, auth });
  const lastLogged = new Map<string, number>();
  server.onRefused = (reason) => {
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? 0) < REFUSAL_LOG_INTERVAL_MS) return;
    lastLogged.set(reason, now);
    node.log.warn(`etcd API refused a request: ${reason}`, { reason, refusedSoFar: server.counters.refused[reason] });
  };
  registerEtcdMetrics(metrics, server);
  return {
    async start() {
      try {
        await server.start();
      } catch (err) {
        const why = /EADDRINUSE|address already in use/i.test((err as Error).message) ? `port ${port} is already in use` : (err as Error).message;
        throw new Error(`cannot listen for etcd (gRPC) on ${node.config.host}:${port}: ${why}`);
      }
    },
    stop: () => server.stop(),
  };
}

function registerEtcdMetrics(metrics: NodeMetrics, server: EtcdServer): void {
  const registers = [metrics.registry];
  const c = server.counters;
  new Counter({
    name: 'ccm_etcd_requests_total',
    help: 'Requests to the etcd API on this node (each unary call, and each watch or keep-alive stream opened).',
    registers,
    collect() {
      this.reset();
      this.inc(c.requests);
    },
  });
  new Counter({
    name: 'ccm_etcd_refused_total',
    help: 'etcd API requests refused before reaching the core, by reason (malformed, failed auth, limits).',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(c.refused)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'ccm_etcd_watches',
    help: 'Watches open on this node through the etcd API.',
    registers,
    collect() {
      this.set(c.watches);
    },
  });
}
