/**
 * The node's metrics: one prom-client Registry per node (never the global one), served as Prometheus text on
 * GET /metrics and as JSON on GET /v1/metrics (what `ccm metrics` reads). Names follow etcd's and Consul's, with
 * the prefix `ccm_` (METRIC_NAMES lists every one with its meaning).
 *
 * Scraping is cheap: the subsystems already keep plain counters (RaftDriver.counters, SwimNode.stats(), the link
 * filter's and the transports' counters). A scrape takes one MetricsSnapshot of them (metrics-subsystem.ts) and the
 * prom-client `collect()` callbacks copy from that snapshot, so no subsystem pays anything between scrapes and one
 * scrape sees one consistent moment. What no subsystem counts is pushed here as it happens: sync latency
 * (RaftDriver.onSync), lease grants/renewals/ends (RaftDriver.onApply effects), member events, watch streams.
 *
 * Hooks for other subsystems (order-independent: the object exists from the first call, whoever makes it):
 *   metrics.watchStreamOpened()      a client's watch stream (GET /v1/watch, NDJSON or SSE) started on this node
 *   metrics.watchStreamClosed()      it ended (any reason); never counts below zero
 *   metrics.watchEventsSent(n)       n events were written to such a stream
 *   metrics.registry                 add your own prom-client metric: `registers: [metrics.registry]`,
 *                                                with a `collect()` that reads your counters at scrape time
 * The watch hub's own figures (watchers now, events delivered to them) need no hook: they are read from the core's watch hub.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { HealthStatus, MetricFamilyView } from '../../api/api-types.js';
import type { Lease } from '../../core/kv-types.js';
import type { Applied } from '../../core/state-machine.js';
import type { LinkCounters } from '../../net/link-filter.js';
import type { TcpTransportStats } from '../../net/tcp-transport.js';
import type { UdpTransportStats } from '../../net/udp-transport.js';
import type { SnapshotTransferStats } from '../raft/snapshot-transfer.js';

/** Raft roles as the core names them; ccm_raft_role has one series per role (1 for the current one). */
export const RAFT_ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'] as const;
export const HEALTH_STATUSES: readonly HealthStatus[] = ['passing', 'warning', 'critical'];
export const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;
/** etcd's WAL fsync buckets: 1 ms doubling to about 8 s. */
export const SYNC_BUCKETS_SECONDS = exponentialBuckets(0.001, 2, 14);
/** How long leases live, from a second to a day. */
export const LEASE_HELD_BUCKETS_SECONDS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21_600, 86_400];
/**
 * prom-client's event-loop-lag histogram samples on a timer at this resolution. Its default (10 ms) would wake an
 * idle node 100 times a second (the gossip driver's notes: a 20 ms timer was a quarter of an idle node's CPU); the
 * node has its own lag reading for health, so a coarse one is enough here.
 */
const PROCESS_LOOP_RESOLUTION_MS = 1000;

/** Everything read from the subsystems' own counters at one scrape. A part is null when this node has none of it. */
export interface MetricsSnapshot {
  node: { id: string; cluster: string; kind: 'core' | 'member'; startCount: number };
  /** null on a node that is not a Raft voter (a member: it forwards to the core). */
  raft: {
    role: string;
    term: number;
    commit: number;
    applied: number;
    lastIndex: number;
    firstIndex: number;
    proposalsCommitted: number;
    proposalsFailed: number;
    leaderChanges: number;
    readsServed: number;
    /** Bytes of the entries in the Raft log, and of the watch history's keys and values. */
    logBytes: number;
    historyBytes: number;
  } | null;
  /** Snapshots this voter streamed (node/raft/snapshot-transfer.ts); null on a member. */
  snapshot: SnapshotTransferStats | null;
  /** Major GCs the memory governor asked for (node/memory-governor.ts). */
  memoryGcRequests: number;
  /** Whether this node knows a Raft leader (a member: the one it last forwarded to). */
  hasLeader: boolean;
  /** Leases this voter tracks for expiry; null on a member. */
  leasesActive: number | null;
  /** This voter's watch hub (null on a member): subscribers now, subscriptions made, events delivered to them. */
  watchHub: { watchers: number; watchersCreated: number; eventsDelivered: number } | null;
  gossip: {
    members: Record<(typeof MEMBER_STATES)[number], number>;
    incarnation: number;
    healthScore: number;
    isEmergentLeader: boolean;
    messagesSent: number;
    messagesReceived: number;
    probes: number;
    probeFailures: number;
    indirectProbes: number;
    suspicionsRaised: number;
    deathsDeclared: number;
    refutations: number;
    malformedPackets: number;
    pushPullsSent: number;
    pushPullsReceived: number;
    pushPullFailures: number;
  } | null;
  udp: UdpTransportStats;
  tcp: TcpTransportStats;
  /** The link filter's counters keyed `peer/direction`. */
  link: Record<string, LinkCounters>;
  health: { status: HealthStatus; checks: Record<HealthStatus, number> } | null;
  /** Inputs refused so far, by port and reason (InputRejections.totals()). */
  rejections: { port: string; reason: string; count: number }[];
  /** The bounds in force (each refusal above is counted under its reason). */
  limits: Record<string, number>;
}

export type MetricsSourceFn = () => MetricsSnapshot;

/** Every ccm metric: name → one line of meaning. The HELP text of each is this line. */
export const METRIC_NAMES = {
  ccm_node_info: 'Always 1; labels say which node, cluster and kind (core voter or member) this is.',
  ccm_node_start_count: 'How many times this node has started (1 + restarts).',
  ccm_raft_voter: '1 if this node is a Raft voter (runs the consistent core), 0 for a member that forwards to it.',
  ccm_raft_term: 'Current Raft term.',
  ccm_raft_has_leader: '1 if a Raft leader is known to this node (etcd_server_has_leader).',
  ccm_raft_is_leader: '1 if this node is the Raft leader (etcd_server_is_leader).',
  ccm_raft_role: '1 for the Raft role this node is in now, 0 for the others (consul.raft.state.*).',
  ccm_raft_leader_changes_seen_total: 'Leader changes this node has seen (etcd_server_leader_changes_seen_total).',
  ccm_raft_proposals_committed_total: 'Proposals made on this node (as leader) that committed and applied.',
  ccm_raft_proposals_failed_total: 'Proposals made on this node that failed: dropped by a leader change or timed out (etcd_server_proposals_failed_total).',
  ccm_raft_reads_served_total: 'Linearizable reads confirmed through ReadIndex on this node.',
  ccm_raft_commit_index: 'Highest log index known committed (etcd_server_proposals_committed_total is this, as a gauge).',
  ccm_raft_applied_index: 'Highest log index applied to the state machine here (etcd_server_proposals_applied_total).',
  ccm_raft_apply_lag_entries: 'Committed entries not yet applied here: commit index minus applied index.',
  ccm_raft_log_entries: 'Entries in the Raft log (last index minus first index plus 1; compaction shrinks it).',
  ccm_raft_log_bytes: 'Bytes of the entries in the Raft log (compaction keeps it under raftLogCompactBytes).',
  ccm_watch_history_bytes: 'Bytes of keys and values in the watch history (the leader compacts it past watchHistoryBytes).',
  ccm_snapshot_bytes_total: 'Bytes of snapshot values streamed in chunks, by direction (sent to lagging followers, received from the leader).',
  ccm_snapshot_chunks_total: 'Snapshot chunks streamed, by direction (sent, received).',
  ccm_snapshots_total: 'Snapshot transfers ended, by outcome: sent (the follower installed it), send_failed, installed (here).',
  ccm_snapshot_resumes_total: 'Snapshot transfers this follower resumed from its last chunk after the stream stalled (a dropped connection).',
  ccm_snapshot_chunks_refused_total: 'Snapshot chunks not written, by reason: malformed (did not fit its schema, cursors or blob) or stale (from before a resume).',
  ccm_node_memory_gc_requested_total: 'Major GCs the memory governor asked V8 for because resident memory passed its target.',
  ccm_disk_sync_duration_seconds: 'Latency of each durable SQLite commit of a Raft Ready (etcd_disk_wal_fsync_duration_seconds).',
  ccm_lease_active: 'Leases alive in the state machine, as this voter tracks them (consul.session_ttl.active).',
  ccm_lease_granted_total: 'Leases granted, as applied here (etcd_debugging_lease_granted_total).',
  ccm_lease_renewed_total: 'Lease renewals (keep-alives and lock hand-overs), as applied here (etcd_debugging_lease_renewed_total).',
  ccm_lease_expired_total: 'Leases that ran out of TTL and were expired by the leader (etcd_debugging_server_lease_expired_total).',
  ccm_lease_revoked_total: 'Leases ended on request: revoked or released (etcd_debugging_lease_revoked_total).',
  ccm_lease_held_seconds: 'How long leases lived, grant to end (expired or revoked), by the granting leader\'s clock.',
  ccm_watch_streams: 'Client watch streams (GET /v1/watch) open on this node now (etcd_debugging_mvcc_watch_stream_total).',
  ccm_watch_streams_opened_total: 'Client watch streams opened on this node since it started.',
  ccm_watch_events_sent_total: 'Watch events written to client watch streams on this node.',
  ccm_watch_watchers:
    "Watchers subscribed to this voter's watch hub now: its own streams, members' relays and internal ones such as lock queues (etcd_debugging_mvcc_watcher_total).",
  ccm_watch_watchers_created_total: "Subscriptions made on this voter's watch hub (a member's relay makes one per long poll).",
  ccm_watch_events_delivered_total: "Events this voter's watch hub delivered to its watchers, history and live (etcd_debugging_mvcc_events_total).",
  ccm_gossip_members: "Members of this node's SWIM view, by state.",
  ccm_gossip_incarnation: "This node's own SWIM incarnation (it rises each time it refutes or changes its meta).",
  ccm_gossip_health_score: 'Lifeguard local health score, 0 is healthy (consul.memberlist.health.score).',
  ccm_gossip_is_emergent_leader: '1 if this node is the emergent leader of its own view (the oldest alive member).',
  ccm_gossip_messages_sent_total: 'SWIM messages sent (pings, acks, piggybacked updates; several per datagram).',
  ccm_gossip_messages_received_total: 'SWIM messages received.',
  ccm_gossip_packets_sent_total: 'Gossip UDP datagrams put on the wire (after the link filter; duplicates count twice).',
  ccm_gossip_packets_received_total: 'Gossip UDP datagrams delivered to SWIM (after the link filter).',
  ccm_peer_auth_failures_total:
    "Peer traffic that failed authentication with this node's keyring (dropped), and hellos of ours that peers refused (their keys differ).",
  ccm_gossip_udp_garbage_total: 'UDP datagrams that did not decode or came from an unknown or mismatched sender: dropped.',
  ccm_gossip_malformed_packets_total: 'Datagrams from known peers that decoded but were not a valid SWIM packet: dropped.',
  ccm_gossip_probes_total: 'Direct probes this node sent (one per probe period).',
  ccm_gossip_probe_failures_total: 'Probes that got no ack, direct or indirect, in time (consul.memberlist.degraded.probe).',
  ccm_gossip_indirect_probes_total: 'Probes that fell back to ping-req through other members.',
  ccm_gossip_suspicions_raised_total: 'Members this node suspected after its own probe failed (consul.memberlist.msg.suspect).',
  ccm_gossip_deaths_declared_total: 'Members this node declared dead when its suspicion timer ran out.',
  ccm_gossip_refutations_total: 'Times this node refuted being called suspect or dead.',
  ccm_gossip_push_pulls_total: 'Full-state push-pull exchanges, by direction (sent, received).',
  ccm_gossip_push_pull_failures_total: 'Push-pulls this node started that got no answer.',
  ccm_gossip_member_events_total: 'Membership events this node saw, by type (joined, suspect, dead, alive, left, refuted...).',
  ccm_link_filter_messages_total:
    'Peer messages (gossip UDP and Raft/RPC TCP) through the link filter, by peer, direction and outcome: passed, dropped (chaos), and of the passed ones delayed, duplicated.',
  ccm_peer_messages_sent_total: 'Peer TCP frames sent (Raft, RPC, push-pull).',
  ccm_peer_messages_received_total: 'Peer TCP frames received.',
  ccm_peer_messages_dropped_total: 'Peer TCP frames dropped before sending, by reason (queue_full, backlog).',
  ccm_peer_connect_failures_total: 'Outbound peer TCP connections that failed.',
  ccm_peer_bad_frames_total: 'Peer TCP frames that did not decode.',
  ccm_health_checks: "This node's health checks, by status (passing, warning, critical).",
  ccm_health_status: "1 for this node's overall health status (the worst of its checks), 0 for the others.",
  ccm_rejected_inputs_total:
    'Inputs this node refused, by port (http, peer, gossip, log) and reason (bad_json, bad_body, frame_too_large, too_many_watchers, handler_error...): dropped or answered invalid_argument / resource_exhausted, never a crash.',
  ccm_input_limit: 'The bounds in force on this node, by limit (connections per port, frame and body bytes, watchers, waiters per resource, txn ops...).',
} as const;

export type CcmMetricName = keyof typeof METRIC_NAMES;

const EMPTY_SNAPSHOT: MetricsSnapshot = {
  node: { id: '', cluster: '', kind: 'member', startCount: 0 },
  raft: null,
  snapshot: null,
  memoryGcRequests: 0,
  hasLeader: false,
  leasesActive: null,
  watchHub: null,
  gossip: null,
  udp: { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, garbage: 0, tooLarge: 0, authFailures: 0 },
  tcp: { sent: 0, received: 0, droppedQueueFull: 0, droppedBacklog: 0, badFrames: 0, connects: 0, connectFailures: 0, authFailures: 0, hellosRefused: 0 },
  link: {},
  health: null,
  rejections: [],
  limits: {},
};

type Labels = Record<string, string>;

/**
 * One node's metrics. Built empty (so other subsystems can push into it in any order); `setSource` gives it the
 * function that reads the node's counters, `scrape()` / `scrapeJson()` read them and render.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private source: MetricsSourceFn | null = null;
  private snapshot: MetricsSnapshot = EMPTY_SNAPSHOT;
  private openWatchStreams = 0;
  /** Lease id → its grant time (wall ms), for ccm_lease_held_seconds when it ends. Bounded by the lease table. */
  private readonly leaseGrantedAtMs = new Map<number, number>();
  private isProcessMetricsOn = false;
  private readonly syncDuration: Histogram;
  private readonly leaseHeld: Histogram;
  private readonly leaseCounts: Record<'granted' | 'renewed' | 'expired' | 'revoked', Counter>;
  private readonly watchOpened: Counter;
  private readonly watchEvents: Counter;
  private readonly memberEvents: Counter<'type'>;

  constructor() {
    const r = this.registry;
    const snap = (): MetricsSnapshot => this.snapshot;
    const raft = () => this.snapshot.raft;

    this.gauge('ccm_node_info', ['node', 'cluster', 'kind'], function () {
      const n = snap().node;
      this.reset();
      this.set({ node: n.id, cluster: n.cluster, kind: n.kind }, 1);
    });
    this.gauge('ccm_node_start_count', [], function () {
      this.set(snap().node.startCount);
    });

    // ---- Raft (etcd_server_*) -------------------------------------------------------------------------------
    this.gauge('ccm_raft_voter', [], function () {
      this.set(raft() ? 1 : 0);
    });
    this.gauge('ccm_raft_term', [], function () {
      this.set(raft()?.term ?? 0);
    });
    this.gauge('ccm_raft_has_leader', [], function () {
      this.set(snap().hasLeader ? 1 : 0);
    });
    this.gauge('ccm_raft_is_leader', [], function () {
      this.set(raft()?.role === 'leader' ? 1 : 0);
    });
    this.gauge('ccm_raft_role', ['role'], function () {
      const role = raft()?.role;
      for (const r of RAFT_ROLES) this.set({ role: r }, role === r ? 1 : 0);
    });
    this.counterFrom('ccm_raft_leader_changes_seen_total', () => raft()?.leaderChanges);
    this.counterFrom('ccm_raft_proposals_committed_total', () => raft()?.proposalsCommitted);
    this.counterFrom('ccm_raft_proposals_failed_total', () => raft()?.proposalsFailed);
    this.counterFrom('ccm_raft_reads_served_total', () => raft()?.readsServed);
    this.gauge('ccm_raft_commit_index', [], function () {
      this.set(raft()?.commit ?? 0);
    });
    this.gauge('ccm_raft_applied_index', [], function () {
      this.set(raft()?.applied ?? 0);
    });
    this.gauge('ccm_raft_apply_lag_entries', [], function () {
      const s = raft();
      this.set(s ? Math.max(0, s.commit - s.applied) : 0);
    });
    this.gauge('ccm_raft_log_entries', [], function () {
      const s = raft();
      this.set(s ? Math.max(0, s.lastIndex - s.firstIndex + 1) : 0);
    });
    this.gauge('ccm_raft_log_bytes', [], function () {
      this.set(raft()?.logBytes ?? 0);
    });
    this.gauge('ccm_watch_history_bytes', [], function () {
      this.set(raft()?.historyBytes ?? 0);
    });
    const snapshots = () => this.snapshot.snapshot;
    this.labelledCounterFrom('ccm_snapshot_bytes_total', ['direction'], () => {
      const s = snapshots();
      return s ? [[{ direction: 'sent' }, s.bytesSent], [{ direction: 'received' }, s.bytesReceived]] : [];
    });
    this.labelledCounterFrom('ccm_snapshot_chunks_total', ['direction'], () => {
      const s = snapshots();
      return s ? [[{ direction: 'sent' }, s.chunksSent], [{ direction: 'received' }, s.chunksReceived]] : [];
    });
    this.labelledCounterFrom('ccm_snapshots_total', ['outcome'], () => {
      const s = snapshots();
      return s ? [[{ outcome: 'sent' }, s.sendsCompleted], [{ outcome: 'send_failed' }, s.sendsFailed], [{ outcome: 'installed' }, s.installs]] : [];
    });
    this.counterFrom('ccm_snapshot_resumes_total', () => snapshots()?.resumes);
    this.labelledCounterFrom('ccm_snapshot_chunks_refused_total', ['reason'], () => {
      const s = snapshots();
      return s ? [[{ reason: 'malformed' }, s.badChunks], [{ reason: 'stale' }, s.staleChunks]] : [];
    });
    this.counterFrom('ccm_node_memory_gc_requested_total', () => snap().memoryGcRequests);
    this.syncDuration = new Histogram({ name: 'ccm_disk_sync_duration_seconds', help: METRIC_NAMES.ccm_disk_sync_duration_seconds, buckets: SYNC_BUCKETS_SECONDS, registers: [r] });

    // ---- leases ---------------------------------------------------------------------------------------------
    this.gauge('ccm_lease_active', [], function () {
      this.set(snap().leasesActive ?? 0);
    });
    this.leaseCounts = {
      granted: this.counter('ccm_lease_granted_total'),
      renewed: this.counter('ccm_lease_renewed_total'),
      expired: this.counter('ccm_lease_expired_total'),
      revoked: this.counter('ccm_lease_revoked_total'),
    };
    this.leaseHeld = new Histogram({ name: 'ccm_lease_held_seconds', help: METRIC_NAMES.ccm_lease_held_seconds, buckets: LEASE_HELD_BUCKETS_SECONDS, registers: [r] });

    // ---- watches: client streams pushed by the watch routes, the hub's figures read ------------------------------------------------------------
    const openStreams = (): number => this.openWatchStreams;
    this.gauge('ccm_watch_streams', [], function () {
      this.set(openStreams());
    });
    this.watchOpened = this.counter('ccm_watch_streams_opened_total');
    this.watchEvents = this.counter('ccm_watch_events_sent_total');
    this.gauge('ccm_watch_watchers', [], function () {
      this.set(snap().watchHub?.watchers ?? 0);
    });
    this.counterFrom('ccm_watch_watchers_created_total', () => snap().watchHub?.watchersCreated);
    this.counterFrom('ccm_watch_events_delivered_total', () => snap().watchHub?.eventsDelivered);

    // ---- gossip (consul.memberlist.*, consul.serf.*) --------------------------------------------------------
    const gossip = () => this.snapshot.gossip;
    this.gauge('ccm_gossip_members', ['state'], function () {
      const g = gossip();
      for (const s of MEMBER_STATES) this.set({ state: s }, g?.members[s] ?? 0);
    });
    this.gauge('ccm_gossip_incarnation', [], function () {
      this.set(gossip()?.incarnation ?? 0);
    });
    this.gauge('ccm_gossip_health_score', [], function () {
      this.set(gossip()?.healthScore ?? 0);
    });
    this.gauge('ccm_gossip_is_emergent_leader', [], function () {
      this.set(gossip()?.isEmergentLeader ? 1 : 0);
    });
    this.counterFrom('ccm_gossip_messages_sent_total', () => gossip()?.messagesSent);
    this.counterFrom('ccm_gossip_messages_received_total', () => gossip()?.messagesReceived);
    this.counterFrom('ccm_gossip_packets_sent_total', () => snap().udp.sent);
    this.counterFrom('ccm_gossip_packets_received_total', () => snap().udp.received);
    this.counterFrom('ccm_gossip_udp_garbage_total', () => snap().udp.garbage);
    this.counterFrom('ccm_gossip_malformed_packets_total', () => gossip()?.malformedPackets);
    this.counterFrom('ccm_gossip_probes_total', () => gossip()?.probes);
    this.counterFrom('ccm_gossip_probe_failures_total', () => gossip()?.probeFailures);
    this.counterFrom('ccm_gossip_indirect_probes_total', () => gossip()?.indirectProbes);
    this.counterFrom('ccm_gossip_suspicions_raised_total', () => gossip()?.suspicionsRaised);
    this.counterFrom('ccm_gossip_deaths_declared_total', () => gossip()?.deathsDeclared);
    this.counterFrom('ccm_gossip_refutations_total', () => gossip()?.refutations);
    this.labelledCounterFrom('ccm_gossip_push_pulls_total', ['direction'], () => {
      const g = gossip();
      return g ? [[{ direction: 'sent' }, g.pushPullsSent], [{ direction: 'received' }, g.pushPullsReceived]] : [];
    });
    this.counterFrom('ccm_gossip_push_pull_failures_total', () => gossip()?.pushPullFailures);
    this.memberEvents = new Counter({ name: 'ccm_gossip_member_events_total', help: METRIC_NAMES.ccm_gossip_member_events_total, labelNames: ['type'], registers: [r] });

    // ---- the link filter and peer transport ---------------------------------------------------------------
    this.labelledCounterFrom('ccm_link_filter_messages_total', ['peer', 'direction', 'outcome'], () => {
      const out: [Labels, number][] = [];
      for (const [key, c] of Object.entries(snap().link)) {
        const slash = key.lastIndexOf('/');
        const peer = key.slice(0, slash);
        const direction = key.slice(slash + 1);
        for (const outcome of ['passed', 'dropped', 'delayed', 'duplicated'] as const) out.push([{ peer, direction, outcome }, c[outcome]]);
      }
      return out;
    });
    this.counterFrom('ccm_peer_messages_sent_total', () => snap().tcp.sent);
    this.counterFrom('ccm_peer_messages_received_total', () => snap().tcp.received);
    this.labelledCounterFrom('ccm_peer_messages_dropped_total', ['reason'], () => [
      [{ reason: 'queue_full' }, snap().tcp.droppedQueueFull],
      [{ reason: 'backlog' }, snap().tcp.droppedBacklog],
    ]);
    this.counterFrom('ccm_peer_connect_failures_total', () => snap().tcp.connectFailures);
    this.counterFrom('ccm_peer_bad_frames_total', () => snap().tcp.badFrames);
    this.labelledCounterFrom('ccm_peer_auth_failures_total', ['what'], () => [
      [{ what: 'tcp_frame' }, snap().tcp.authFailures],
      [{ what: 'udp_datagram' }, snap().udp.authFailures],
      [{ what: 'hello_refused' }, snap().tcp.hellosRefused],
    ]);

    // ---- the boundary: refused inputs and the limits in force ------------------------------------------------
    this.labelledCounterFrom('ccm_rejected_inputs_total', ['port', 'reason'], () => snap().rejections.map((r) => [{ port: r.port, reason: r.reason }, r.count]));
    this.gauge('ccm_input_limit', ['limit'], function () {
      for (const [limit, value] of Object.entries(snap().limits)) this.set({ limit }, value);
    });

    // ---- health (Consul's check states) ---------------------------------------------------------------------
    this.gauge('ccm_health_checks', ['status'], function () {
      const h = snap().health;
      for (const s of HEALTH_STATUSES) this.set({ status: s }, h?.checks[s] ?? 0);
    });
    this.gauge('ccm_health_status', ['status'], function () {
      const h = snap().health;
      for (const s of HEALTH_STATUSES) this.set({ status: s }, h?.status === s ? 1 : 0);
    });
  }

  /** Where scrapes read the node's counters from. */
  setSource(source: MetricsSourceFn): void {
    this.source = source;
  }

  /** prom-client's default process metrics (CPU, memory, handles, GC, event-loop lag) on this registry. Once. */
  enableProcessMetrics(): void {
    if (this.isProcessMetricsOn) return;
    this.isProcessMetricsOn = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: PROCESS_LOOP_RESOLUTION_MS });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition (format 0.0.4) of every metric, read now. */
  async scrape(): Promise<string> {
    this.takeSnapshot();
    return this.registry.metrics();
  }

  /** The same, as JSON families (GET /v1/metrics). Non-finite values become null (JSON has no NaN). */
  async scrapeJson(): Promise<MetricFamilyView[]> {
    this.takeSnapshot();
    const families = await this.registry.getMetricsAsJSON();
    return families.map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type as unknown as MetricFamilyView['type'],
      samples: f.values.map((v) => {
        const withName = v as typeof v & { metricName?: string };
        return { name: withName.metricName ?? f.name, labels: { ...v.labels } as Record<string, string | number>, value: Number.isFinite(v.value) ? v.value : null };
      }),
    }));
  }

  // ---- pushed as it happens ---------------------------------------------------------------------------------

  /** One durable commit of a Raft Ready took `seconds` (RaftDriver.onSync). */
  observeSync(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.syncDuration.observe(seconds);
  }

  /** Leases that already exist when the node starts, so their lifetime can be measured when they end. */
  seedLeases(leases: Lease[]): void {
    for (const l of leases) this.leaseGrantedAtMs.set(l.id, l.grantedAtMs);
  }

  /**
   * One applied command (RaftDriver.onApply): counts lease grants (a touched lease with no renewals yet), renewals
   * (any other touched lease), and ends (expired when the command was the leader's `lease-expire`, else revoked),
   * and observes how long an ended lease lived. `nowMs` is this node's wall clock.
   */
  countApplied(applied: Applied, nowMs: number): void {
    const { leasesTouched, leasesRemoved } = applied.effects;
    for (const lease of leasesTouched) {
      if (lease.renewals === 0 && !this.leaseGrantedAtMs.has(lease.id)) this.leaseCounts.granted.inc();
      else this.leaseCounts.renewed.inc();
      this.leaseGrantedAtMs.set(lease.id, lease.grantedAtMs);
    }
    if (leasesRemoved.length === 0) return;
    const how = applied.result.op === 'lease-expire' ? this.leaseCounts.expired : this.leaseCounts.revoked;
    for (const id of leasesRemoved) {
      how.inc();
      const grantedAtMs = this.leaseGrantedAtMs.get(id);
      this.leaseGrantedAtMs.delete(id);
      if (grantedAtMs !== undefined) this.leaseHeld.observe(Math.max(0, nowMs - grantedAtMs) / 1000);
    }
  }

  /**
   * Forgets lease grant times the node no longer tracks (a snapshot install replaces the lease table without apply
   * effects). Cheap when nothing is stale: call it with the tracked count and a membership test.
   */
  pruneLeases(trackedCount: number, isTracked: (id: number) => boolean): void {
    if (this.leaseGrantedAtMs.size <= trackedCount) return;
    for (const id of this.leaseGrantedAtMs.keys()) if (!isTracked(id)) this.leaseGrantedAtMs.delete(id);
  }

  /** A SWIM membership event of this type (joined, suspect, dead...). */
  countMemberEvent(type: string): void {
    this.memberEvents.inc({ type });
  }

  watchStreamOpened(): void {
    this.openWatchStreams++;
    this.watchOpened.inc();
  }

  watchStreamClosed(): void {
    this.openWatchStreams = Math.max(0, this.openWatchStreams - 1);
  }

  watchEventsSent(n: number): void {
    if (Number.isFinite(n) && n > 0) this.watchEvents.inc(n);
  }

  // ---- building blocks --------------------------------------------------------------------------------------

  private takeSnapshot(): void {
    if (this.source) this.snapshot = this.source();
  }

  private gauge(name: CcmMetricName, labelNames: string[], collect: (this: Gauge) => void): Gauge {
    return new Gauge({ name, help: METRIC_NAMES[name], labelNames, registers: [this.registry], collect });
  }

  private counter(name: CcmMetricName): Counter {
    return new Counter({ name, help: METRIC_NAMES[name], registers: [this.registry] });
  }

  /** A counter that mirrors a running total kept elsewhere (read from the snapshot at each scrape). */
  private counterFrom(name: CcmMetricName, read: () => number | undefined): void {
    this.labelledCounterFrom(name, [], () => {
      const v = read();
      return v === undefined ? [] : [[{}, v]];
    });
  }

  /**
   * A labelled counter mirroring running totals: each scrape adds the growth since the last one. A total that went
   * down (its owner was rebuilt) restarts the series at its new value, which Prometheus reads as a counter reset.
   */
  private labelledCounterFrom(name: CcmMetricName, labelNames: string[], read: () => [Labels, number][]): void {
    const last = new Map<string, number>();
    new Counter({
      name,
      help: METRIC_NAMES[name],
      labelNames,
      registers: [this.registry],
      collect() {
        for (const [labels, value] of read()) {
          if (!Number.isFinite(value)) continue;
          const key = labelNames.map((l) => labels[l]).join('\u0000');
          const prev = last.get(key);
          if (prev !== undefined && value < prev) {
            if (labelNames.length > 0) this.remove(labels);
            else this.reset();
            this.inc(labels, value);
          } else {
            this.inc(labels, value - (prev ?? 0));
          }
          last.set(key, value);
        }
      },
    });
  }
}
