import type { NodeMetricsJson } from '../../api/api-types.js';
import { MAX_TXN_COMPARES, MAX_TXN_OPS } from '../../core/commands.js';
import { MAX_WAITERS_PER_RESOURCE } from '../../core/state-machine.js';
import { MAX_FRAME_BYTES } from '../../net/framing.js';
import { STREAMING, type HttpServer } from '../../net/http-server.js';
import { MAX_INBOUND_CALLS_PER_PEER } from '../../net/peer-rpc.js';
import { MAX_WATCHERS } from '../watch/watch-hub.js';
import { MAX_WATCH_STREAMS } from '../http/watch-routes.js';
import type { GossipDriver } from '../gossip/gossip-driver.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import type { NodeCore } from '../core/node-core.js';
import { HEALTH_STATUSES, type MetricsSnapshot, type NodeMetrics } from './metrics.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/**
 * Reads one node's running counters into a MetricsSnapshot: every read is a field access or a small object the
 * subsystem already builds for its status (no SQL, no I/O), so a scrape costs about what GET /v1/status does.
 */
/** The subsystems the metrics read. */
export interface MeasuredParts {
  gossip: GossipDriver;
  health: HealthMonitor;
  core: NodeCore;
}

export function readMetricsSnapshot(node: NodeRuntime, parts: MeasuredParts): MetricsSnapshot {
  const { gossip, health, core } = parts;
  const hub = core.feed.hub;
  const driver = core.driver;
  let raft: MetricsSnapshot['raft'] = null;
  if (driver) {
    const s = driver.raft.basicStatus();
    const c = driver.counters;
    raft = {
      role: s.role,
      term: s.term,
      commit: s.commit,
      applied: driver.appliedIndex(),
      lastIndex: s.lastIndex,
      firstIndex: s.firstIndex,
      proposalsCommitted: c.proposalsCommitted,
      proposalsFailed: c.proposalsFailed,
      leaderChanges: c.leaderChanges,
      readsServed: c.readsServed,
      logBytes: driver.storage.sizeBytes(),
      historyBytes: driver.state.historyBytes(),
    };
  }
  let gossipPart: MetricsSnapshot['gossip'] = null;
  if (gossip) {
    const v = gossip.statsView();
    const swim = v.swim;
    gossipPart = {
      members: { alive: v.summary.alive, suspect: v.summary.suspect, dead: v.summary.dead, left: v.summary.left },
      incarnation: v.summary.incarnation,
      healthScore: v.summary.healthScore,
      isEmergentLeader: v.summary.emergentLeader === node.config.id,
      messagesSent: swim.messagesSent ?? 0,
      messagesReceived: swim.messagesReceived ?? 0,
      probes: swim.probes ?? 0,
      probeFailures: swim.probeFailures ?? 0,
      indirectProbes: swim.indirectProbes ?? 0,
      suspicionsRaised: swim.suspicionsRaised ?? 0,
      deathsDeclared: swim.deathsDeclared ?? 0,
      refutations: swim.refutations ?? 0,
      malformedPackets: v.malformedPackets,
      pushPullsSent: swim.pushPullsSent ?? 0,
      pushPullsReceived: swim.pushPullsReceived ?? 0,
      pushPullFailures: v.pushPullFailures,
    };
  }
  let healthPart: MetricsSnapshot['health'] = null;
  if (health) {
    const checks = { passing: 0, warning: 0, critical: 0 };
    for (const c of health.checkViews()) if (HEALTH_STATUSES.includes(c.status)) checks[c.status]++;
    healthPart = { status: health.summary().status, checks };
  }
  return {
    node: {
      id: node.config.id,
      cluster: node.config.cluster,
      kind: node.config.core.includes(node.config.id) ? 'core' : 'member',
      startCount: node.identity?.startCount ?? 0,
    },
    raft,
    snapshot: driver ? { ...driver.snapshots.stats } : null,
    memoryGcRequests: node.memory.collections,
    hasLeader: core.knownLeader() !== null,
    leasesActive: driver ? driver.leases.size() : null,
    watchHub: hub ? { watchers: hub.size, watchersCreated: hub.counters.watchesOpened, eventsDelivered: hub.counters.eventsSent } : null,
    gossip: gossipPart,
    udp: { ...node.udp.stats },
    tcp: { ...node.tcp.stats },
    link: node.filter.stats(),
    health: healthPart,
    rejections: node.rejections.totals(),
    limits: inputLimits(node),
  };
}

/** Every bound the node enforces on its inputs, by name (ccm_input_limit). */
export function inputLimits(node: NodeRuntime): Record<string, number> {
  const http = node.http.limits;
  const peer = node.tcp.limits;
  return {
    http_connections: http.maxConnections,
    http_body_bytes: http.maxBodyBytes,
    http_header_bytes: http.maxHeaderBytes,
    peer_connections: peer.maxInboundConnections,
    peer_hello_timeout_ms: peer.helloTimeoutMs,
    peer_pre_hello_frame_bytes: peer.preHelloFrameBytes,
    peer_frame_bytes: MAX_FRAME_BYTES,
    peer_pending_frame_bytes: peer.maxPendingBytes,
    peer_calls_in_flight_per_peer: MAX_INBOUND_CALLS_PER_PEER,
    watch_streams_per_node: MAX_WATCH_STREAMS,
    watchers_per_replica: MAX_WATCHERS,
    waiters_per_resource: MAX_WAITERS_PER_RESOURCE,
    txn_ops_per_branch: MAX_TXN_OPS,
    txn_compares: MAX_TXN_COMPARES,
  };
}

/**
 * The routes:
 *   GET /metrics      Prometheus text exposition (content-type text/plain; version=0.0.4)
 *   GET /v1/metrics   the same families as JSON (NodeMetricsJson), for `ccm metrics`
 */
export function registerMetricsRoutes(http: HttpServer, metrics: NodeMetrics, nodeId: string): void {
  http.route('GET', '/metrics', async ({ res }) => {
    const text = await metrics.scrape();
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return STREAMING;
  });
  http.route('GET', '/v1/metrics', async (): Promise<NodeMetricsJson> => ({ node: nodeId, families: await metrics.scrapeJson() }));
}

/**
 * The metrics subsystem for main.ts: put it after the core, gossip and health subsystems (it reads them). It hooks
 * the Raft driver's sync and apply streams and the gossip driver's member events, and serves the routes.
 */
export function createMetricsSubsystem(node: NodeRuntime, metrics: NodeMetrics, parts: MeasuredParts): NodeSubsystem {
  metrics.enableProcessMetrics();
  const { gossip } = parts;
  const driver = parts.core.driver;
  metrics.setSource(() => {
    if (driver) metrics.pruneLeases(driver.leases.size(), (id) => driver.leases.remainingMs(id, 0) !== undefined);
    return readMetricsSnapshot(node, parts);
  });
  const unsubscribe: (() => void)[] = [];
  if (driver) {
    metrics.seedLeases(driver.state.leases());
    const previousOnSync = driver.onSync;
    driver.onSync = (seconds) => {
      previousOnSync?.(seconds);
      metrics.observeSync(seconds);
    };
    unsubscribe.push(driver.onApply((applied) => metrics.countApplied(applied, node.clock.nowMs())));
  }
  unsubscribe.push(gossip.onMemberEvent((e) => metrics.countMemberEvent(e.type)));
  registerMetricsRoutes(node.http, metrics, node.config.id);
  return {
    async stop() {
      for (const u of unsubscribe) u();
    },
  };
}
