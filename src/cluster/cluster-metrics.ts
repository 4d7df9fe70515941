import { apiGet } from '../client/api-access.js';
import { CcmError } from '../errors/ccm-error.js';
import type {
  ClusterMetricsView,
  MetricFamilyView,
  NodeMetricsJson,
  NodeMetricsRawView,
  NodeMetricsSummary,
  NodeMetricsView,
} from '../api/api-types.js';
import { requestJson, type Endpoint } from '../client/http-json.js';
import type { ClusterPaths } from './cluster-dir.js';
import { findNode, type ClusterFile } from './cluster-file.js';
import { endpointOf } from './cluster-status.js';
import { readRunningCluster } from './launcher.js';
import { processState } from './process-table.js';

/** A node gets this long to answer a metrics request: one that does not is shown as such, never waited on. */
export const METRICS_TIMEOUT_MS = 1000;
/** Largest /metrics text accepted (a node's is a few tens of kB). */
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

/** Families by the subsystem they describe, in the order `ccm metrics <node>` shows them. */
export const METRIC_GROUPS: { group: string; prefixes: string[] }[] = [
  { group: 'Node', prefixes: ['ccm_node_'] },
  { group: 'Raft', prefixes: ['ccm_raft_'] },
  { group: 'Snapshots', prefixes: ['ccm_snapshot'] },
  { group: 'Disk', prefixes: ['ccm_disk_'] },
  { group: 'Leases', prefixes: ['ccm_lease_'] },
  { group: 'Watches', prefixes: ['ccm_watch_'] },
  { group: 'Gossip', prefixes: ['ccm_gossip_'] },
  { group: 'Link filter and peer transport', prefixes: ['ccm_link_', 'ccm_peer_'] },
  { group: 'Health', prefixes: ['ccm_health_'] },
  { group: 'Boundary: refused inputs and limits', prefixes: ['ccm_rejected_', 'ccm_input_'] },
  { group: 'Other ccm', prefixes: ['ccm_'] },
  { group: 'Process', prefixes: ['process_', 'nodejs_'] },
];

// ---- reading families ------------------------------------------------------------------------------------------

function family(families: MetricFamilyView[], name: string): MetricFamilyView | undefined {
  return families.find((f) => f.name === name);
}

/** Sum of the samples of `name` whose labels include `labels` (0 if none). */
export function metricValue(families: MetricFamilyView[], name: string, labels: Record<string, string> = {}): number {
  const f = family(families, name);
  if (!f) return 0;
  let sum = 0;
  for (const s of f.samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v)) sum += s.value ?? 0;
  }
  return sum;
}

/** The label value of the sample of `name` that is 1 (a state set such as ccm_raft_role), or null. */
function activeLabel(families: MetricFamilyView[], name: string, label: string): string | null {
  const s = family(families, name)?.samples.find((x) => x.value === 1);
  return s === undefined ? null : String(s.labels[label]);
}

/**
 * The q-quantile of a histogram from its cumulative buckets, interpolated linearly inside the bucket that holds it
 * (Prometheus's histogram_quantile). Null with no observations; the largest finite bound if it falls in +Inf.
 */
export function histogramQuantile(q: number, f: MetricFamilyView | undefined): number | null {
  if (!f || f.type !== 'histogram') return null;
  const buckets = f.samples
    .filter((s) => s.name === `${f.name}_bucket`)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value ?? 0 }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.length > 0 ? buckets[buckets.length - 1].count : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      const inBucket = b.count - below;
      return inBucket <= 0 ? b.le : lower + (b.le - lower) * ((rank - below) / inBucket);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** A node's figures for the summary table, from its families. */
export function summarizeMetrics(node: string, families: MetricFamilyView[]): NodeMetricsSummary {
  const v = (name: string, labels?: Record<string, string>) => metricValue(families, name, labels);
  const isVoter = v('ccm_raft_voter') === 1;
  const hasGossip = family(families, 'ccm_gossip_members') !== undefined;
  const healthStatus = activeLabel(families, 'ccm_health_status', 'status');
  const sync = family(families, 'ccm_disk_sync_duration_seconds');
  return {
    node,
    state: 'running',
    responding: true,
    error: null,
    role: isVoter ? activeLabel(families, 'ccm_raft_role', 'role') : 'member',
    raft: isVoter
      ? {
          term: v('ccm_raft_term'),
          hasLeader: v('ccm_raft_has_leader') === 1,
          leaderChanges: v('ccm_raft_leader_changes_seen_total'),
          proposalsCommitted: v('ccm_raft_proposals_committed_total'),
          proposalsFailed: v('ccm_raft_proposals_failed_total'),
          commitIndex: v('ccm_raft_commit_index'),
          appliedIndex: v('ccm_raft_applied_index'),
          applyLag: v('ccm_raft_apply_lag_entries'),
          logEntries: v('ccm_raft_log_entries'),
        }
      : null,
    leases: isVoter
      ? {
          active: v('ccm_lease_active'),
          granted: v('ccm_lease_granted_total'),
          renewed: v('ccm_lease_renewed_total'),
          expired: v('ccm_lease_expired_total'),
          revoked: v('ccm_lease_revoked_total'),
        }
      : null,
    watch: family(families, 'ccm_watch_streams')
      ? {
          streams: v('ccm_watch_streams'),
          streamsOpened: v('ccm_watch_streams_opened_total'),
          eventsSent: v('ccm_watch_events_sent_total'),
          watchers: v('ccm_watch_watchers'),
          eventsDelivered: v('ccm_watch_events_delivered_total'),
        }
      : null,
    gossip: hasGossip
      ? {
          alive: v('ccm_gossip_members', { state: 'alive' }),
          suspect: v('ccm_gossip_members', { state: 'suspect' }),
          dead: v('ccm_gossip_members', { state: 'dead' }),
          messagesSent: v('ccm_gossip_messages_sent_total'),
          messagesReceived: v('ccm_gossip_messages_received_total'),
          linkDropped: v('ccm_link_filter_messages_total', { outcome: 'dropped' }),
          probeFailures: v('ccm_gossip_probe_failures_total'),
          suspicions: v('ccm_gossip_member_events_total', { type: 'suspect' }),
          udpGarbage: v('ccm_gossip_udp_garbage_total'),
        }
      : null,
    health:
      healthStatus === 'passing' || healthStatus === 'warning' || healthStatus === 'critical'
        ? {
            status: healthStatus,
            passing: v('ccm_health_checks', { status: 'passing' }),
            warning: v('ccm_health_checks', { status: 'warning' }),
            critical: v('ccm_health_checks', { status: 'critical' }),
          }
        : null,
    disk: sync
      ? { syncs: sync.samples.find((s) => s.name === `${sync.name}_count`)?.value ?? 0, syncP99Seconds: histogramQuantile(0.99, sync) }
      : null,
  };
}

/** The families in METRIC_GROUPS order; each family in the first group whose prefix it has. */
export function groupFamilies(families: MetricFamilyView[]): NodeMetricsView['groups'] {
  const groups = METRIC_GROUPS.map((g) => ({ group: g.group, families: [] as MetricFamilyView[] }));
  const other = { group: 'Other', families: [] as MetricFamilyView[] };
  for (const f of families) {
    const i = METRIC_GROUPS.findIndex((g) => g.prefixes.some((p) => f.name.startsWith(p)));
    (i >= 0 ? groups[i] : other).families.push(f);
  }
  return [...groups, other].filter((g) => g.families.length > 0);
}

function unanswered(node: string, state: NodeMetricsSummary['state'], error: string): NodeMetricsSummary {
  return { node, state, responding: false, error, role: null, raft: null, leases: null, watch: null, gossip: null, health: null, disk: null };
}

// ---- talking to nodes ------------------------------------------------------------------------------------------

/** A running node: not_found for an unknown id, failed_precondition when it is stopped or paused. */
function runningNode(paths: ClusterPaths, id: string): { file: ClusterFile; endpoint: Endpoint } {
  const file = readRunningCluster(paths);
  const node = findNode(file, id);
  const state = processState(node.pid, node.id);
  if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is stopped; start it with: ccm node start ${id} --name ${paths.name}`);
  if (state === 'paused') throw new CcmError('failed_precondition', `node ${id} is paused (SIGSTOP) and cannot answer; resume it with: ccm node resume ${id} --name ${paths.name}`);
  return { file, endpoint: endpointOf(file, id) };
}

/** Says which node did not answer, rather than which port. */
function aboutNode(id: string, err: unknown): CcmError {
  if (err instanceof CcmError && err.code === 'timeout') return new CcmError('timeout', `node ${id} did not answer within ${METRICS_TIMEOUT_MS} ms`);
  if (err instanceof CcmError && err.code === 'unavailable') return new CcmError('unavailable', `node ${id} cannot be reached: ${err.message}`);
  return err instanceof CcmError ? err : new CcmError('internal', `node ${id}: ${(err as Error).message}`);
}

async function fetchFamilies(file: ClusterFile, id: string): Promise<MetricFamilyView[]> {
  const answer = await requestJson<NodeMetricsJson>(endpointOf(file, id), 'GET', '/v1/metrics', undefined, { timeoutMs: METRICS_TIMEOUT_MS });
  if (!Array.isArray(answer.families)) throw new CcmError('internal', `node ${id} sent metrics without families`);
  return answer.families;
}

/** `ccm metrics`: every node's summary; nodes that are down, paused or slow are rows saying so. */
export async function clusterMetrics(paths: ClusterPaths): Promise<ClusterMetricsView> {
  const file = readRunningCluster(paths);
  const nodes = await Promise.all(
    file.nodes.map(async (n): Promise<NodeMetricsSummary> => {
      const state = processState(n.pid, n.id);
      if (state !== 'running') return unanswered(n.id, state, state);
      try {
        return summarizeMetrics(n.id, await fetchFamilies(file, n.id));
      } catch (err) {
        return unanswered(n.id, state, aboutNode(n.id, err).message);
      }
    }),
  );
  return { cluster: file.name, nodes };
}

/** `ccm metrics <node>`: its summary and every family, grouped. */
export async function nodeMetrics(paths: ClusterPaths, id: string): Promise<NodeMetricsView> {
  const { file } = runningNode(paths, id);
  let families: MetricFamilyView[];
  try {
    families = await fetchFamilies(file, id);
  } catch (err) {
    throw aboutNode(id, err);
  }
  return { node: id, summary: summarizeMetrics(id, families), groups: groupFamilies(families) };
}

/** `ccm metrics <node> --raw`: the node's GET /metrics, as it sent it. */
export async function nodeMetricsRaw(paths: ClusterPaths, id: string): Promise<NodeMetricsRawView> {
  const { endpoint } = runningNode(paths, id);
  try {
    const { contentType, text } = await requestText(endpoint, '/metrics', METRICS_TIMEOUT_MS);
    return { node: id, contentType, text };
  } catch (err) {
    throw aboutNode(id, err);
  }
}

/** One GET for a text body (requestJson is JSON only), with a hard deadline on the whole exchange. */
export function requestText(endpoint: Endpoint, path: string, timeoutMs: number): Promise<{ contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: { contentType: string; text: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    const req = apiGet(endpoint, path, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_TEXT_BYTES) {
          req.destroy();
          finish(new CcmError('internal', `answer to GET ${path} is over ${MAX_TEXT_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => finish(new CcmError('unavailable', `connection to ${endpoint.host}:${endpoint.port} failed: ${err.message}`)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 500;
        if (status >= 200 && status < 300) {
          finish(null, { contentType: String(res.headers['content-type'] ?? ''), text });
          return;
        }
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not an error body
        }
        finish(parsed !== null ? CcmError.fromBody(parsed, status) : new CcmError('internal', `GET ${path} answered HTTP ${status}`));
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new CcmError('timeout', `no answer from ${endpoint.host}:${endpoint.port} to GET ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => finish(new CcmError('unavailable', `cannot reach node at ${endpoint.host}:${endpoint.port}: ${err.message}`)));
  });
}

// ---- human output ----------------------------------------------------------------------------------------------

/** Gauges that are state sets: one series per state, 1 for the current one; shown as that state. */
const STATE_SETS = new Set(['ccm_raft_role', 'ccm_health_status']);
/** Of prom-client's process metrics, the few `ccm metrics <node>` shows (--raw and --json have them all). */
export const PROCESS_METRICS_SHOWN = new Set([
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_handles_total',
]);

/** A number for people: seconds as ms/s, bytes as kB/MB, large counts as they are, fractions to 3 significant digits. */
export function formatMetricNumber(name: string, value: number | null): string {
  if (value === null) return 'NaN';
  if (name.endsWith('_seconds') || name.endsWith('_seconds_total') || name.endsWith('_seconds_sum')) {
    if (value === 0) return '0';
    return value < 1 ? `${Number((value * 1000).toPrecision(3))} ms` : `${Number(value.toPrecision(4))} s`;
  }
  if (name.endsWith('_bytes')) {
    if (value >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
    if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
    return `${value} B`;
  }
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/**
 * One family as lines of `[series, value]` for people: a plain value; a state set as its current state; a
 * histogram as count, p50, p99 and mean; labelled series one per line, zeros left out (all zero: one line 0).
 */
export function describeFamily(f: MetricFamilyView): [string, string][] {
  if (f.type === 'histogram') {
    const count = f.samples.find((s) => s.name === `${f.name}_count`)?.value ?? 0;
    const sum = f.samples.find((s) => s.name === `${f.name}_sum`)?.value ?? 0;
    if (count === 0) return [[f.name, 'no observations']];
    const q = (p: number) => formatMetricNumber(f.name, histogramQuantile(p, f));
    return [[f.name, `count ${count}, p50 ${q(0.5)}, p99 ${q(0.99)}, mean ${formatMetricNumber(f.name, sum / count)}`]];
  }
  if (STATE_SETS.has(f.name)) {
    const on = f.samples.find((s) => s.value === 1);
    const label = on ? Object.values(on.labels)[0] : undefined;
    return [[f.name, label === undefined ? 'none' : String(label)]];
  }
  const withLabels = f.samples.filter((s) => Object.keys(s.labels).length > 0);
  if (withLabels.length === 0) return f.samples.map((s) => [s.name, formatMetricNumber(s.name, s.value)]);
  const nonZero = withLabels.filter((s) => s.value !== 0);
  if (nonZero.length === 0) return [[f.name, '0']];
  return nonZero.map((s) => [`${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')}}`, formatMetricNumber(s.name, s.value)]);
}
