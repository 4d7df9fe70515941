/**
 * The shapes of the HTTP API and of every command's --json output. One definition, used by the node,
 * the client, the CLI and the TUI.
 */
import type { LinkFilterConfig } from '../net/link-filter.js';

export interface NodePortsView {
  http: number;
  peer: number;
  gossip: number;
}

/** GET /v1/status on one node. */
export interface NodeStatus {
  id: string;
  cluster: string;
  pid: number;
  /** 'core' for a Raft voter at creation, 'member' otherwise. */
  kind: 'core' | 'member';
  startCount: number;
  startedAtMs: number;
  uptimeMs: number;
  ports: NodePortsView;
  /** Per peer: the nonce of the last reach-ping heard from it (see the reachability matrix). */
  reachHeard: Record<string, string>;
  linkFilter: LinkFilterConfig;
  memoryRssBytes: number;
  eventLoopLagMs: number;
  clockSkewMs: number;
  raft?: RaftStatusView;
  gossip?: GossipSummaryView;
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
  pid: number | null;
  state: 'running' | 'paused' | 'stopped';
  /** Whether the node answered its status request (a paused node cannot). */
  responding: boolean;
  kind: 'core' | 'member';
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
}

export interface ClusterStatus {
  cluster: string;
  dir: string;
  heal: boolean;
  nodes: NodeStatusRow[];
  /** matrix[a][b]: a's message got through to b. */
  reachability: Record<string, Record<string, boolean>>;
  faults: string[];
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
