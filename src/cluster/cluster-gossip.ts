import { CcmError } from '../errors/ccm-error.js';
import type {
  ClusterHealthView,
  ClusterLeaderView,
  HealthCheckSpec,
  HealthCheckView,
  HealthStatus,
  LeaderView,
  MembersView,
  MemberStateView,
  NodeHealthView,
  NodeTagsResult,
} from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import type { TagChange } from '../api/gossip-tags.js';
import type { ClusterPaths } from './cluster-dir.js';
import { findNode, type ClusterFile } from './cluster-file.js';
import { endpointOf } from './cluster-status.js';
import { readRunningCluster } from './launcher.js';
import { processState } from './process-table.js';

/** Reads from one node of a running cluster: a node that is slow to answer is reported, not waited on forever. */
const READ_TIMEOUT_MS = 2000;
const WRITE_TIMEOUT_MS = 5000;

/** A running node to talk to: not_found for an unknown id, failed_precondition when it is stopped or paused. */
function runningNode(paths: ClusterPaths, id: string): { file: ClusterFile; endpoint: { host: string; port: number } } {
  const file = readRunningCluster(paths);
  const node = findNode(file, id);
  const state = processState(node.pid, node.id);
  if (state !== 'running') {
    throw new CcmError('failed_precondition', `node ${id} is ${state}${state === 'stopped' ? `; start it with: ccm node start ${id} --name ${paths.name}` : ''}`);
  }
  return { file, endpoint: endpointOf(file, id) };
}

/** The first node (in cluster order) whose process runs. */
function firstRunningNode(file: ClusterFile): string {
  const node = file.nodes.find((n) => processState(n.pid, n.id) === 'running');
  if (node === undefined) throw new CcmError('not_running', `no node of cluster "${file.name}" is running (all stopped or paused)`);
  return node.id;
}

/** `ccm members [--from n4]`: one node's view of the membership. */
export async function membersView(paths: ClusterPaths, from?: string): Promise<MembersView> {
  const id = from ?? firstRunningNode(readRunningCluster(paths));
  const { endpoint } = runningNode(paths, id);
  return requestJson<MembersView>(endpoint, 'GET', '/v1/members', undefined, { timeoutMs: READ_TIMEOUT_MS });
}

/** Asks every running node for a path; nodes that are down or do not answer come back as errors. */
async function askEveryNode<T>(file: ClusterFile, route: string): Promise<Map<string, T | { error: string }>> {
  const answers = new Map<string, T | { error: string }>();
  await Promise.all(
    file.nodes.map(async (n) => {
      const state = processState(n.pid, n.id);
      if (state !== 'running') {
        answers.set(n.id, { error: state });
        return;
      }
      try {
        answers.set(n.id, await requestJson<T>(endpointOf(file, n.id), 'GET', route, undefined, { timeoutMs: READ_TIMEOUT_MS }));
      } catch (err) {
        answers.set(n.id, { error: err instanceof CcmError && err.code === 'timeout' ? 'not answering' : (err as Error).message });
      }
    }),
  );
  return answers;
}

function isError(v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'string';
}

/** `ccm leader`: the emergent leader as each running node sees it, and whether they agree. */
export async function clusterLeaders(paths: ClusterPaths): Promise<ClusterLeaderView> {
  const file = readRunningCluster(paths);
  const answers = await askEveryNode<LeaderView>(file, '/v1/leader');
  const views: ClusterLeaderView['views'] = file.nodes.map((n) => {
    const a = answers.get(n.id)!;
    return isError(a) ? { node: n.id, leader: null, isReachable: false, error: a.error } : { node: n.id, leader: a.leader, isReachable: true };
  });
  const byLeader = new Map<string | null, string[]>();
  for (const v of views) {
    if (!v.isReachable) continue;
    byLeader.set(v.leader, [...(byLeader.get(v.leader) ?? []), v.node]);
  }
  const groups = [...byLeader.entries()]
    .map(([leader, nodes]) => ({ leader, nodes }))
    .sort((a, b) => b.nodes.length - a.nodes.length || String(a.leader).localeCompare(String(b.leader)));
  const isAgreed = groups.length === 1 && groups[0].leader !== null;
  return { cluster: file.name, isAgreed, leader: isAgreed ? groups[0].leader : null, views, groups };
}

/** `ccm gossip set|unset`: changes a node's tags; they spread to every view within a few gossip rounds. */
export async function setNodeTags(paths: ClusterPaths, id: string, change: TagChange): Promise<NodeTagsResult> {
  const { endpoint } = runningNode(paths, id);
  return requestJson<NodeTagsResult>(endpoint, 'PUT', '/admin/gossip/tags', change, { timeoutMs: WRITE_TIMEOUT_MS });
}

/** `ccm health check add`: adds (or replaces) a user check on a node; the node validates and stores it. */
export async function addHealthCheck(paths: ClusterPaths, id: string, name: string, spec: HealthCheckSpec): Promise<HealthCheckView & { node: string }> {
  const { endpoint } = runningNode(paths, id);
  const view = await requestJson<HealthCheckView>(endpoint, 'PUT', `/admin/health/checks/${encodeURIComponent(name)}`, spec, { timeoutMs: WRITE_TIMEOUT_MS });
  return { node: id, ...view };
}

/** `ccm health check remove`. */
export async function removeHealthCheck(paths: ClusterPaths, id: string, name: string): Promise<{ node: string; removed: string }> {
  const { endpoint } = runningNode(paths, id);
  return requestJson(endpoint, 'DELETE', `/admin/health/checks/${encodeURIComponent(name)}`, undefined, { timeoutMs: WRITE_TIMEOUT_MS });
}

const SEVERITY: Record<HealthStatus, number> = { passing: 0, warning: 1, critical: 2 };
function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** The status one view holds for a member: its gossiped summary, made worse by what the view thinks of its liveness. */
export function viewedStatus(state: MemberStateView, health: { status: HealthStatus } | null): HealthStatus {
  if (state === 'dead' || state === 'left') return 'critical';
  const reported = health?.status ?? 'passing';
  return state === 'suspect' ? worst(reported, 'warning') : reported;
}

/**
 * Consul's serfHealth, from the views: passing when every other answering node holds the member alive, critical when
 * most hold it dead/left (or do not know it), warning in between (suspect somewhere, or views disagree).
 */
export function gossipCheck(id: string, views: ReadonlyMap<string, NodeHealthView>, nowMs: number, probeIntervalMs: number): HealthCheckView {
  const states = new Map<string, MemberStateView | 'unknown'>();
  for (const [viewer, view] of views) {
    if (viewer === id && views.size > 1) continue;
    states.set(viewer, view.members.find((m) => m.id === id)?.state ?? 'unknown');
  }
  const by = (pred: (s: MemberStateView | 'unknown') => boolean): string[] => [...states.entries()].filter(([, s]) => pred(s)).map(([v]) => v);
  const alive = by((s) => s === 'alive');
  const gone = by((s) => s === 'dead' || s === 'left' || s === 'unknown');
  const suspect = by((s) => s === 'suspect');
  let status: HealthStatus;
  let output: string;
  if (states.size === 0) {
    status = 'critical';
    output = 'no node answers to say';
  } else if (alive.length === states.size) {
    status = 'passing';
    output = `alive in ${alive.length === 1 && alive[0] === id ? 'its own view' : `every view (${alive.length})`}`;
  } else {
    status = gone.length * 2 > states.size ? 'critical' : 'warning';
    const parts = [
      alive.length ? `alive in ${alive.join(', ')}` : '',
      suspect.length ? `suspect in ${suspect.join(', ')}` : '',
      gone.length ? `dead, left or unknown in ${gone.join(', ')}` : '',
    ].filter(Boolean);
    output = parts.join('; ');
  }
  return { name: 'gossip', kind: 'builtin', status, output, target: null, intervalMs: probeIntervalMs, timeoutMs: probeIntervalMs / 2, lastRunAtMs: nowMs, lastDurationMs: null, statusSinceMs: nowMs };
}

/** `ccm health`: every node's checks (from the node itself when it answers, else from its peers' gossip) and views. */
export async function clusterHealth(paths: ClusterPaths): Promise<ClusterHealthView> {
  const file = readRunningCluster(paths);
  const answers = await askEveryNode<NodeHealthView>(file, '/v1/health');
  const views = new Map<string, NodeHealthView>();
  for (const [id, a] of answers) if (!isError(a)) views.set(id, a);
  const now = Date.now();
  const nodes: ClusterHealthView['nodes'] = file.nodes.map((n) => {
    const gossip = gossipCheck(n.id, views, now, file.settings.gossipProbeIntervalMs);
    const own = views.get(n.id);
    if (own !== undefined) {
      const checks = [gossip, ...own.checks];
      return { id: n.id, status: checks.reduce<HealthStatus>((s, c) => worst(s, c.status), 'passing'), source: 'node', checks };
    }
    const answer = answers.get(n.id);
    const why = isError(answer) ? answer.error : 'no answer';
    const lastSummary = [...views.values()].map((v) => v.members.find((m) => m.id === n.id)?.health).find((h) => h != null);
    const nodeCheck: HealthCheckView = {
      name: 'node',
      kind: 'builtin',
      status: 'critical',
      output: `not answering (${why})${lastSummary ? `; last gossiped health ${lastSummary.status}${lastSummary.failing.length ? ` (${lastSummary.failing.join(', ')})` : ''}` : ''}`,
      target: null,
      intervalMs: 0,
      timeoutMs: READ_TIMEOUT_MS,
      lastRunAtMs: now,
      lastDurationMs: null,
      statusSinceMs: now,
    };
    return { id: n.id, status: 'critical', source: 'gossip', checks: [gossip, nodeCheck] };
  });
  const viewMap: ClusterHealthView['views'] = {};
  for (const [viewer, v] of views) viewMap[viewer] = Object.fromEntries(v.members.map((m) => [m.id, viewedStatus(m.state, m.health)]));
  return { cluster: file.name, status: nodes.reduce<HealthStatus>((s, n) => worst(s, n.status), 'passing'), nodes, views: viewMap };
}
