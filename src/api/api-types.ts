/**
 * The shapes of the HTTP API and of every command's --json output. One definition, used by the node,
 * the client, the CLI and the TUI.
 */
import type { LinkFilterConfig } from '../net/link-filter.js';
import type { Lease } from '../core/kv-types.js';

export interface NodePortsView {
  http: number;
  peer: number;
  gossip: number;
  /** etcd's v3 API (gRPC); absent for a cluster made before ccm spoke etcd. */
  etcd?: number;
}

/** GET /v1/status on one node. */
export interface NodeStatus {
  id: string;
  cluster: string;
  pid: number;
  /** 'core' for a Raft voter, 'learner' for a replica that does not vote yet, 'member' otherwise. */
  kind: 'core' | 'learner' | 'member';
  startCount: number;
  startedAtMs: number;
  uptimeMs: number;
  ports: NodePortsView;
  /** Per peer: the nonces of the last few reach-pings heard from it (see the reachability matrix). */
  reachHeard: Record<string, string[]>;
  linkFilter: LinkFilterConfig;
  memoryRssBytes: number;
  eventLoopLagMs: number;
  clockSkewMs: number;
  /** How fast this node's monotonic clock runs against real time (chaos clock-rate; 1 normally). */
  clockRate?: number;
  raft?: RaftStatusView;
  /** Snapshots streamed to and from this replica (node/raft/snapshot-transfer.ts). */
  snapshot?: SnapshotTransferView;
  gossip?: GossipSummaryView;
  /** How peer traffic is authenticated here, and what failed. */
  peerAuth?: PeerAuthView;
}

/** A node's peer authentication: its keyring (fingerprints only) and the traffic that failed to authenticate. */
export interface PeerAuthView {
  /** 'aes-256-gcm' when every TCP frame and datagram is sealed with the keyring; 'off' only in the bench's comparison. */
  encryption: 'aes-256-gcm' | 'off';
  /** The keyring by fingerprint (first 8 bytes of each key's SHA-256), primary first; never the keys. */
  keyring: { version: number; primary: string; keys: string[] } | null;
  /** Peer traffic dropped here because it did not authenticate: in total, by sender (when known), and from strangers. */
  rejected: { total: number; byPeer: Record<string, number>; unattributed: number };
  /** Peers that refused this node's hello in the last 30 s (they could not authenticate it). */
  refusedBy: string[];
  /** What is wrong, in words (this node's key is not the cluster's, or a peer's is not), or null. */
  problem: string | null;
}

/** A node's snapshot streaming counters (node/raft/snapshot-transfer.ts keeps them). */
export interface SnapshotTransferStats {
  sendsStarted: number;
  sendsCompleted: number;
  sendsFailed: number;
  chunksSent: number;
  bytesSent: number;
  receivesStarted: number;
  installs: number;
  chunksReceived: number;
  bytesReceived: number;
  resumes: number;
  /** Chunks refused: malformed, or not fitting their cursors. */
  badChunks: number;
  /** Chunks ignored: for another snapshot, or from before a resume. */
  staleChunks: number;
}

export interface SnapshotTransferView extends SnapshotTransferStats {
  /** Snapshots being streamed from here now, and the bytes of values sent so far. */
  sending: { to: string; index: number; bytes: number }[];
  /** The snapshot being received now, and the bytes of values staged so far. */
  receiving: { from: string; index: number; bytes: number } | null;
}

export interface RaftStatusView {
  id: string;
  role: string;
  term: number;
  leaderId: string | null;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  voters: string[];
  learners: string[];
  progress?: Record<string, { match: number; next: number; state: string; recentActive: boolean }>;
}

export interface GossipSummaryView {
  alive: number;
  suspect: number;
  dead: number;
  left: number;
  incarnation: number;
  healthScore: number;
  emergentLeader: string | null;
}

/** One row of `ccm status`. */
export interface NodeStatusRow {
  id: string;
  /** The address the node answers on (agents on other hosts each have their own). */
  host?: string;
  pid: number | null;
  state: 'running' | 'paused' | 'stopped';
  /** Whether the node answered its status request (a paused node cannot). */
  responding: boolean;
  kind: 'core' | 'learner' | 'member';
  uptimeMs: number | null;
  startCount: number | null;
  restarts: number;
  ports: NodePortsView;
  /** Peers this node's reach-ping got through to. */
  reaches: string[];
  /** Peers this node could not reach (through the link filter, or because they are down). */
  cannotReach: string[];
  raft?: RaftStatusView;
  gossip?: GossipSummaryView;
  peerAuth?: PeerAuthView;
}

export interface ClusterStatus {
  cluster: string;
  dir: string;
  heal: boolean;
  nodes: NodeStatusRow[];
  /** matrix[a][b]: a's message got through to b. */
  reachability: Record<string, Record<string, boolean>>;
  faults: string[];
  /** Present when the services run on etcd (ccm up --core etcd, --etcd-endpoints): its members. */
  etcd?: EtcdClusterView;
}

/** The etcd cluster a cluster's services run on, as `ccm status` and `ccm top` show it. */
export interface EtcdClusterView {
  mode: 'local' | 'external';
  endpoints: string[];
  members: EtcdMemberRow[];
  /** Why the members' own status is missing (no node answered, or etcd did not). */
  error?: string;
}

/** One etcd member: as etcd reports it (through a node's /v1/core/status), and its process when ccm runs it. */
export interface EtcdMemberRow {
  name: string;
  endpoint: string;
  /** The local member's process (absent for an external cluster). */
  state?: 'running' | 'paused' | 'stopped';
  pid?: number | null;
  /** Null: etcd's own answer is missing. */
  healthy: boolean | null;
  leader: boolean;
  raftIndex: number | null;
  raftTerm: number | null;
  dbSizeBytes: number | null;
  version: string | null;
  error?: string;
}

export interface ClusterEvent {
  /** Wall-clock ms. */
  ts: number;
  /** Node id, or 'cli' / 'supervisor'. */
  source: string;
  type: string;
  message: string;
  [field: string]: unknown;
}

export interface KvPutResult {
  revision: number;
  prev?: import('../core/kv-types.js').KeyValue;
}

export interface KvDeleteResult {
  revision: number;
  deleted: number;
}

export interface KvTxnResult {
  succeeded: boolean;
  revision: number;
  results: import('../core/state-machine.js').TxnOpResult[];
}

/** GET /v1/kv. */
export interface RangeResult {
  kvs: import('../core/kv-types.js').KeyValue[];
  count: number;
  /** The store's revision when the read was served. */
  revision: number;
  compactRevision: number;
  /** Which node served it, and whether it was a (possibly stale) local read. */
  servedBy: string;
  serializable: boolean;
  /** For a read of the past (`rev`, `prev`): the revision the keys are as of. */
  atRevision?: number;
}

/** A lease as anyone may see it: never its secret (nor the secret's hash). */
export interface LeaseView extends Omit<Lease, 'secretHash'> {
  /** TTL left by the serving node's clock; null when that node has no timer for it (it just restarted). */
  ttlLeftMs: number | null;
  keys: string[];
}


// ---- gossip: membership, emergent leader, tags (GossipDriver) --------------------------------------------------

/** A member's state in one node's SWIM view. */
export type MemberStateView = 'alive' | 'suspect' | 'dead' | 'left';

/** Outcome of a health check, and of a node as a whole (the worst of its checks). Consul's three states. */
export type HealthStatus = 'passing' | 'warning' | 'critical';

/** What a node spreads about its own health in its gossip meta (`meta.health`): small, so it fits a datagram. */
export interface HealthSummary {
  status: HealthStatus;
  /** Names of the checks that are not passing (at most 8). */
  failing: string[];
}

/** One member as one node's gossip view holds it (GET /v1/members). */
export interface MemberRow {
  id: string;
  /** host:gossipPort */
  address: string;
  state: MemberStateView;
  incarnation: number;
  /** The viewing node's phi accrual suspicion of this member (every datagram from it is a heartbeat); 0 for itself. */
  phi: number;
  /** Milliseconds since the viewing node last saw this member's state change. */
  stateForMs: number;
  /** When the member's process started (wall clock, its own): the emergent-leader rule ranks by it. */
  joinedAtMs: number;
  tags: Record<string, string>;
  /** meta.health, or null when the member publishes none. */
  health: HealthSummary | null;
  /** The rest of the member's meta (e.g. `core`: Raft role/term/leader, `configVersion`), as published. */
  meta: Record<string, unknown>;
  isSelf: boolean;
}

/** A running suspicion in one node's view: who accused, who confirmed, when it turns into a death. */
export interface SuspicionRow {
  member: string;
  incarnation: number;
  accusers: string[];
  confirmations: number;
  confirmationsWanted: number;
  /** Milliseconds until the member is declared dead unless it refutes. */
  deadInMs: number;
}

/** GET /v1/members: one node's view of the cluster. */
export interface MembersView {
  node: string;
  incarnation: number;
  emergentLeader: string | null;
  members: MemberRow[];
  suspicions: SuspicionRow[];
}

/** GET /v1/leader: the emergent leader as one node's view names it. */
export interface LeaderView {
  node: string;
  leader: string | null;
  isSelf: boolean;
  rule: 'oldest';
  /** Alive members, best first (earliest joinedAtMs, ties by id). */
  ranking: { id: string; joinedAtMs: number }[];
  /** Members ranking above the leader that this view does not hold alive. */
  passedOver: { id: string; state: MemberStateView; joinedAtMs: number }[];
}

/** `ccm leader`: every running node's pick, and whether they agree. */
export interface ClusterLeaderView {
  cluster: string;
  isAgreed: boolean;
  /** The leader every answering node names, when they agree. */
  leader: string | null;
  views: { node: string; leader: string | null; isReachable: boolean; error?: string }[];
  /** Answering nodes grouped by the leader they name, largest group first (a partition shows two groups). */
  groups: { leader: string | null; nodes: string[] }[];
}

/** PUT /admin/gossip/tags and `ccm gossip set|unset`. */
export interface NodeTagsResult {
  node: string;
  /** The node's incarnation after the change (tags spread with an incarnation bump). */
  incarnation: number;
  tags: Record<string, string>;
  changed: boolean;
}

/** GET /v1/gossip: counters of the gossip layer on one node. */
export interface GossipStatsView {
  node: string;
  summary: GossipSummaryView;
  swim: Record<string, number>;
  udp: { sent: number; received: number; bytesSent: number; bytesReceived: number; garbage: number; tooLarge: number; authFailures: number };
  /** Datagrams from known peers that decoded but were not a valid SWIM packet (dropped). */
  malformedPackets: number;
  lastMalformedReason: string | null;
  pushPullFailures: number;
  /** State exchanges started because a member we held dead sent us a datagram (so it learns it and refutes). */
  revenantExchanges: number;
  joinAttempts: number;
  isJoined: boolean;
}

// ---- health monitor --------------------------------------------------------------------------------------------

/** Where a check comes from: built in, registered by another subsystem (e.g. raft-lag), or added by the user. */
export type HealthCheckKind = 'builtin' | 'provider' | 'http' | 'tcp' | 'command';

/** A user check as stored (PUT /admin/health/checks/:name; `ccm health check add`). Exactly one of http/tcp/command. */
export interface HealthCheckSpec {
  http?: string;
  /** host:port */
  tcp?: string;
  /** Run with /bin/sh -c; exit 0 passing, 1 warning, anything else critical (Consul's rule). */
  command?: string;
  intervalMs: number;
  timeoutMs: number;
}

/** One check on one node, with its last result. */
export interface HealthCheckView {
  name: string;
  kind: HealthCheckKind;
  status: HealthStatus;
  output: string;
  /** URL, host:port or command line for user checks. */
  target: string | null;
  intervalMs: number;
  timeoutMs: number;
  /** Wall-clock time of the last completed run, or null before the first. */
  lastRunAtMs: number | null;
  lastDurationMs: number | null;
  /** Wall-clock time the status last changed. */
  statusSinceMs: number;
}

/** GET /v1/health: this node's checks, and every member's gossiped health summary as this node sees it. */
export interface NodeHealthView {
  node: string;
  status: HealthStatus;
  checks: HealthCheckView[];
  members: { id: string; state: MemberStateView; health: HealthSummary | null }[];
}

/** `ccm health`: per node and per check. */
export interface ClusterHealthView {
  cluster: string;
  /** The worst status over every node. */
  status: HealthStatus;
  nodes: {
    id: string;
    status: HealthStatus;
    /** 'node': the checks came from the node itself; 'gossip': it did not answer, so this is what its peers hold. */
    source: 'node' | 'gossip';
    /** The node's gossip check first (its liveness in its peers' views), then its own checks. */
    checks: HealthCheckView[];
  }[];
  /** Each answering node's view: member → the status it holds for it (dead/left members are critical). */
  views: Record<string, Record<string, HealthStatus>>;
}

/** One resource held through the lease manager. */
export interface LockView {
  resource: string;
  holder: string;
  lease: number;
  /** Fencing token: the revision at which this holder got the resource; strictly larger for every later grant. */
  token: number;
  ttlMs: number;
  /** TTL left by the leader's clock (null when unknown). */
  ttlLeftMs: number | null;
  renewals: number;
  /** Wall-clock time of the grant (leader's clock at proposal). */
  grantedAtMs: number;
  renewedAtMs: number;
  /** Waiters in the order they will get it. */
  waiting: { holder: string; lease: number; queuedAtRevision: number }[];
}

/** Hold or wait times of a resource over its latest samples. */
export interface DurationStatsView {
  count: number;
  meanMs: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Lease utilization of one resource (GET /v1/lock-stats), as one replica observed it since `sinceMs`. */
export interface LockStatsView {
  resource: string;
  /** Wall-clock ms when this replica first saw the resource used. */
  sinceMs: number;
  observedMs: number;
  /** Share of the observed time the resource was held (0..1). */
  heldFraction: number;
  grants: number;
  /** Acquires refused because it was held (without waiting). */
  refusals: number;
  /** Waiters that left the queue without getting it. */
  waitsAbandoned: number;
  queueDepth: number;
  maxQueueDepth: number;
  /** Grant to end (release, expiry, revoke). */
  hold: DurationStatsView;
  /** Queued to granted (0 for a grant without waiting). */
  wait: DurationStatsView;
  holder: { holder: string; lease: number; token: number; sinceMs: number } | null;
  waiting: { holder: string; lease: number; waitingMs: number }[];
  /** The last grants, oldest first: the fencing token history. */
  recentGrants: { holder: string; lease: number; token: number; grantedAtMs: number; waitedMs: number | null; endedAtMs: number | null; end: 'released' | 'expired' | 'revoked' | null }[];
  /** The last refusals: who asked, when, and who held it. */
  recentRefusals: { holder: string; atMs: number; heldBy: string; heldByToken: number }[];
}

/** GET /v1/lock-stats on one node. */
export interface NodeLockStatsView {
  node: string;
  /** Whether this node holds a replica (members have no figures). */
  isReplica: boolean;
  isLeader: boolean;
  /** When this replica started observing (wall ms). */
  sinceMs: number;
  resources: LockStatsView[];
}

/** POST /v1/locks/:resource/acquire. */
export type AcquireResponse =
  /** `secret`: returned once, to the holder; renewing or releasing needs it (lease list never shows it). */
  | { granted: true; resource: string; holder: string; lease: number; token: number; ttlMs: number; revision: number; waitedMs: number; secret: string }
  | { granted: false; resource: string; heldBy: { holder: string; lease: number; token: number; ttlLeftMs: number | null } };

// ---- metrics (src/node/metrics.ts, `ccm metrics`) ---------------------------------------------------------------

/** One sample of a metric family: for a histogram, `<name>_bucket` (with `le`), `<name>_sum` and `<name>_count`. */
export interface MetricSampleView {
  name: string;
  labels: Record<string, string | number>;
  /** null when not finite (JSON has no NaN or Inf). */
  value: number | null;
}

/** One metric as prom-client holds it: the JSON twin of its lines in the Prometheus text. */
export interface MetricFamilyView {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  samples: MetricSampleView[];
}

/** GET /v1/metrics on one node (GET /metrics gives the same as Prometheus text). */
export interface NodeMetricsJson {
  node: string;
  families: MetricFamilyView[];
}

/** One node's figures in `ccm metrics`. A part is null when the node did not answer or has none (a member has no Raft). */
export interface NodeMetricsSummary {
  node: string;
  state: 'running' | 'paused' | 'stopped';
  responding: boolean;
  /** Why there are no figures (stopped, paused, no answer within the deadline...). */
  error: string | null;
  /** leader / follower / candidate / pre-candidate, or member for a node that is not a Raft voter. */
  role: string | null;
  raft: {
    term: number;
    hasLeader: boolean;
    leaderChanges: number;
    proposalsCommitted: number;
    proposalsFailed: number;
    commitIndex: number;
    appliedIndex: number;
    applyLag: number;
    logEntries: number;
  } | null;
  leases: { active: number; granted: number; renewed: number; expired: number; revoked: number } | null;
  /** Client streams on this node (pushed by the watch routes), and a voter's watch hub: watchers now, events delivered. */
  watch: { streams: number; streamsOpened: number; eventsSent: number; watchers: number; eventsDelivered: number } | null;
  gossip: {
    alive: number;
    suspect: number;
    dead: number;
    messagesSent: number;
    messagesReceived: number;
    /** Peer messages (gossip and Raft) the link filter dropped, both directions. */
    linkDropped: number;
    probeFailures: number;
    /** Suspect events this node saw (raised by itself or heard). */
    suspicions: number;
    udpGarbage: number;
  } | null;
  health: { status: HealthStatus; passing: number; warning: number; critical: number } | null;
  /** Durable SQLite commits (ccm_disk_sync_duration_seconds): how many, and the p99 estimated from the buckets. */
  disk: { syncs: number; syncP99Seconds: number | null } | null;
}

/** `ccm metrics`: every node of the cluster. */
export interface ClusterMetricsView {
  cluster: string;
  nodes: NodeMetricsSummary[];
}

/** `ccm metrics <node>`: its summary and every family, grouped by subsystem. */
export interface NodeMetricsView {
  node: string;
  summary: NodeMetricsSummary;
  groups: { group: string; families: MetricFamilyView[] }[];
}

/** `ccm metrics <node> --raw --json`. */
export interface NodeMetricsRawView {
  node: string;
  contentType: string;
  text: string;
}

// ---- configuration manager (src/services/config-manager.ts, `ccm config`) ----------------------------------------

/** The value types a config entry can have; a value is validated against its type on every set. */
export type ConfigType = 'string' | 'int' | 'bool' | 'duration' | 'json';

/** Any JSON value (a config entry's typed value). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What made a version: a set, a rollback to an older version, a bulk import, or a delete (a tombstone). */
export type ConfigChangeKind = 'set' | 'rollback' | 'import' | 'delete';

/** One version of a config entry (GET /v1/config/:name, and each item of its history). */
export interface ConfigEntryView {
  name: string;
  /** The typed value: a number for int, a boolean for bool, the parsed document for json, text for string and duration; null for a delete. */
  value: JsonValue;
  /** The value as stored text (canonical for its type: `10`, `true`, `30s`, compact JSON). */
  text: string;
  type: ConfigType;
  /** 1 for the first set of this name; +1 for every change (set, rollback, import, delete), never reused. */
  version: number;
  /** The core revision of this change: also the config revision a node must have applied to see it. */
  revision: number;
  kind: ConfigChangeKind;
  /** For a rollback: the version whose value it restored. */
  rollbackOf?: number;
  /** For a duration: its length in milliseconds. */
  durationMs?: number;
  /** Who made the change (the client's `by`, e.g. user@host). */
  updatedBy: string;
  /** Wall-clock ms at the node that accepted the change. */
  updatedAtMs: number;
  /** The node that accepted the change. */
  node: string;
  /** For a read of one node's own copy (GET /v1/config/:name?local=true): when that node applied this version (its wall clock). */
  appliedHereAtMs?: number;
}

/** GET /v1/config?prefix= (`ccm config list`). */
export interface ConfigListView {
  entries: ConfigEntryView[];
  /** The highest config revision among all entries (deleted ones included): what a caught-up node publishes. */
  configRevision: number;
  /** The store revision the read was served at. */
  revision: number;
}

/** GET /v1/config/:name/history (`ccm config history`): every version, oldest first, kept forever. */
export interface ConfigHistoryView {
  name: string;
  versions: ConfigEntryView[];
}

/** The export document (`ccm config export`, GET /v1/config-export): name → type and typed value; import takes it back. */
export type ConfigExportDocument = Record<string, { type: ConfigType; value: JsonValue }>;

/** POST /v1/config-import: what an import changed (all in one transaction, one revision) and what it left as it was. */
export interface ConfigImportResult {
  /** The new versions written (empty when nothing changed). */
  changed: ConfigEntryView[];
  /** Names whose type and value were already as imported (no new version). */
  unchanged: string[];
  /** The revision of the import transaction (0 when nothing changed). */
  revision: number;
}

/** GET /v1/config-mirror on one node: its local copy of the config, fed by a watch. */
export interface ConfigMirrorView {
  node: string;
  /** The highest config revision this node has applied (also gossiped as `meta.configVersion`). */
  configRevision: number;
  /** Live (not deleted) entries held. */
  entries: number;
  /** False until the first load, and while it reloads after losing its watch. */
  isSynced: boolean;
}

/** `ccm config status`: each node's mirror, and whether it has caught up with the cluster's config revision. */
export interface ConfigStatusView {
  configRevision: number;
  nodes: { node: string; configRevision: number | null; isCaughtUp: boolean; isSynced: boolean | null; error?: string }[];
}

// ---- service registry (src/services/service-registry.ts, `ccm service`) ------------------------------------------

/** A service instance's health check, run by the node that owns the instance's checks. */
export interface ServiceCheckView {
  kind: 'http' | 'tcp';
  /** The URL (http) or host:port (tcp). */
  target: string;
  intervalMs: number;
  timeoutMs: number;
  /** An instance critical for this long is deregistered. */
  deregisterAfterMs: number;
}

/** One registered instance (POST /v1/services/:service/instances, GET /v1/service-instances/:id, lookups). */
export interface ServiceInstanceView {
  service: string;
  id: string;
  address: string;
  port: number;
  tags: string[];
  /** The lease that keeps it registered: renew it (ccm service renew, or ccm lease renew --lease) within ttlMs. */
  lease: number;
  ttlMs: number;
  check: ServiceCheckView | null;
  /** passing without a check; with one, the last result (critical until the first run). */
  status: HealthStatus;
  output: string;
  /** Wall-clock ms of the last status change. */
  statusSinceMs: number;
  /** While critical: since when (wall clock); the deregister-after clock runs from here. */
  criticalSinceMs: number | null;
  /** The node that runs its checks (where it registered; another node adopts them if that node dies). */
  node: string;
  registeredAtMs: number;
  registeredBy: string;
  /** Core revisions: of the registration, and of the last change (a status change or an adoption). */
  createRevision: number;
  modRevision: number;
}

/** GET /v1/services/:service (`ccm service lookup`): passing instances, or every one with all=true. */
export interface ServiceLookupView {
  service: string;
  instances: ServiceInstanceView[];
  /** How many instances exist in each state, whatever the filter. */
  counts: Record<HealthStatus, number>;
  revision: number;
}

/** GET /v1/services (`ccm service list`). */
export interface ServiceListView {
  services: { service: string; instances: number; passing: number; warning: number; critical: number; tags: string[] }[];
  revision: number;
}

// ---- leader election (src/services/election.ts, `ccm election`) ---------------------------------------------------

/** POST /v1/elections/:name/campaign: this candidate leads now. */
export interface ElectionLeadership {
  election: string;
  /** The candidate id that leads. */
  id: string;
  lease: number;
  /** Fencing token: strictly larger for every later leader of this election. */
  token: number;
  ttlMs: number;
  revision: number;
  /** How long the campaign waited in line. */
  waitedMs: number;
  /** The leadership's lease secret (returned once): renewing or resigning needs it. */
  secret: string;
}

/** GET /v1/elections/:name (`ccm election leader`). */
export interface ElectionView {
  election: string;
  leader: { id: string; lease: number; token: number; ttlMs: number; ttlLeftMs: number | null; grantedAtMs: number; renewedAtMs: number } | null;
  /** Candidates in line, in the order they will lead. */
  candidates: { id: string; lease: number }[];
  revision: number;
}

/** One line of `ccm election observe`: the leadership after a change (leader null: nobody leads). */
export interface ElectionChange {
  election: string;
  leader: { id: string; lease: number; token: number } | null;
  revision: number;
  /** Wall-clock ms when the observer saw it. */
  atMs: number;
}

/** One line of `ccm service watch`: an instance registered, changed (status, check owner) or deregistered. */
export interface ServiceChange {
  type: 'registered' | 'updated' | 'deregistered';
  service: string;
  id: string;
  /** The instance after the change; for a deregistration, as it last was. */
  instance: ServiceInstanceView | null;
  revision: number;
}

/** GET /v1/watches: the client watch streams one node serves now (ccm top's watches panel). */
export interface WatchListView {
  node: string;
  watches: { key: string; prefix: boolean; fromRevision: number; revision: number; events: number; openedAtMs: number; servedBy: string }[];
  /** All open streams (the list is bounded). */
  total: number;
}
