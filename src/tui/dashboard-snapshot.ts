import type { ClusterEvent, ClusterStatus } from '../api/api-types.js';

/**
 * What the live view shows, gathered once per poll by the dashboard source (dashboard-source.ts) and turned
 * into rows by the pure model (status-model.ts). Everything the view needs is in here, time included, so a
 * frame is a function of a snapshot and `nowMs`.
 */
export interface DashboardSnapshot {
  /** `clusterStatus()` of this poll. Its `reachability` is only meaningful when `reachabilityProbedAtMs` is set. */
  status: ClusterStatus;
  /**
   * The latest probed reachability matrix (a probe costs a round of pings, so it runs every few polls and is
   * carried between them); null until the first probe.
   */
  reachability: ClusterStatus['reachability'] | null;
  /** Wall-clock ms of the probe that produced `reachability`. */
  reachabilityProbedAtMs: number | null;
  /** Leases held now; undefined when no lease source is wired (the panel says so), [] when there are none. */
  leases?: LeaseRow[];
  /** Why the lease source failed this poll (the panel shows it instead of rows). */
  leasesError?: string;
  /** Config version each node has applied; undefined when no config source is wired. */
  configVersions?: ConfigVersionRow[];
  configVersionsError?: string;
  /**
   * What each node's own gossip view says beyond /v1/status (phi, health verdict, config version), by node id;
   * undefined when no details source is wired. A node missing from it did not answer.
   */
  nodeDetails?: Record<string, NodeDetail>;
  /** Registered services with each instance and its health; undefined when no source is wired. */
  services?: ServiceRow[];
  servicesError?: string;
  /** Elections with a leader or candidates. */
  elections?: ElectionRow[];
  electionsError?: string;
  /** Client watch streams open on the nodes now. */
  watches?: WatchRow[];
  watchesError?: string;
  /** The latest events of the merged timeline (events.log + every node.log), oldest first, bounded. */
  events: ClusterEvent[];
  /** Wall-clock ms when this snapshot was taken; lease TTLs count down from here. */
  fetchedAtMs: number;
}

/** One lease, as the lease source reports it at `DashboardSnapshot.fetchedAtMs`. */
export interface LeaseRow {
  /** What the lease protects: a lock name, an election, a key prefix. */
  resource: string;
  /** Who holds it (a client or node id). */
  holder: string;
  /** The fencing token of the grant (a revision, strictly increasing per resource). */
  token: number | string;
  /** The TTL the lease was granted with. */
  ttlMs: number;
  /** What was left of it when fetched; the view subtracts the time since `fetchedAtMs`. */
  remainingMs: number;
  /** Utilization as the leader observed it (GET /v1/lock-stats): share of the time held, and grants. */
  heldFraction?: number;
  grants?: number;
}

/** The configuration version one node has applied. */
export interface ConfigVersionRow {
  nodeId: string;
  /** null: the node did not say (down, or not answering). */
  version: number | null;
}

/** One node's view of itself and its peers, from its gossip layer (GET /v1/members by default). */
export interface NodeDetail {
  /** The highest phi-accrual suspicion this node holds for any live peer; null when it reports none. */
  maxPhi: number | null;
  /** The health monitor's verdict for this node (passing / warning / critical); null when none is published. */
  health: string | null;
  /** The config version this node publishes in its gossip meta (`meta.configVersion`); null when none. */
  configVersion: number | null;
}

/** One service instance, as the services panel shows it. */
export interface ServiceRow {
  service: string;
  id: string;
  address: string;
  /** passing / warning / critical. */
  status: string;
  /** The node running its check (empty without one). */
  node: string;
}

/** One election: who leads (null: nobody), the fencing token, the candidates in line. */
export interface ElectionRow {
  election: string;
  leader: string | null;
  token: number | null;
  /** TTL left of the leader's lease when fetched, ms; null when unknown. */
  ttlLeftMs: number | null;
  candidates: string[];
}

/** One open watch stream: where it is served, what it watches, how far it got. */
export interface WatchRow {
  node: string;
  key: string;
  prefix: boolean;
  revision: number;
  events: number;
  openedAtMs: number;
}
