import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import { CcmError } from '../src/errors/ccm-error.js';
import type { ClusterMetricsView, NodeMetricsRawView, NodeMetricsSummary, NodeMetricsView } from '../src/api/api-types.js';
import { clusterMetrics, describeFamily, formatMetricNumber, nodeMetrics, nodeMetricsRaw, PROCESS_METRICS_SHOWN } from '../src/cluster/cluster-metrics.js';

export default class Metrics extends CcmCommand<typeof Metrics> {
  static override summary = "Metrics: a per-node summary, or one node's metrics grouped by subsystem (each node serves /metrics in Prometheus text).";
  static override description =
    'Without a node: one row per node: Raft role and term, proposals it committed and that failed, leader changes, active leases, ' +
    "client watch streams open on it and watchers on a voter's watch hub, SWIM messages sent/received, peer messages the link filter " +
    'dropped, suspect events seen, health, and the p99 of durable SQLite commits. With a node: every metric it serves, ' +
    'grouped (Raft, Disk, Leases, Watches, Gossip, Link filter, Health, Process). Names follow etcd and Consul with the prefix ccm_. ' +
    'A node that does not answer within 1 s is shown as such.';
  static override examples = [
    '<%= config.bin %> metrics',
    '<%= config.bin %> metrics n2',
    '<%= config.bin %> metrics n2 --json',
    '<%= config.bin %> metrics n2 --raw',
  ];
  static override args = {
    node: Args.string({ description: 'the node to show in full (default: a summary of every node)' }),
  };
  static override flags = {
    raw: Flags.boolean({ summary: "Print the node's Prometheus text as it serves it on /metrics (needs a node).", default: false }),
  };

  async run(): Promise<ClusterMetricsView | NodeMetricsView | NodeMetricsRawView> {
    const paths = this.clusterPaths();
    const id = this.args.node;
    if (this.flags.raw) {
      if (id === undefined) throw new CcmError('invalid_argument', '--raw needs a node: ccm metrics <node> --raw');
      const raw = await nodeMetricsRaw(paths, id);
      if (!this.jsonEnabled()) process.stdout.write(raw.text);
      return raw;
    }
    if (id === undefined) {
      const view = await clusterMetrics(paths);
      if (!this.jsonEnabled()) this.printSummary(view);
      return view;
    }
    const view = await nodeMetrics(paths, id);
    if (!this.jsonEnabled()) this.printNode(view);
    return view;
  }

  private printSummary(view: ClusterMetricsView): void {
    const n = (x: number | undefined | null) => (x === undefined || x === null ? '-' : x);
    this.log(
      renderTable(
        ['NODE', 'ROLE', 'TERM', 'COMMITTED', 'FAILED', 'LDR-CHG', 'LEASES', 'STREAMS', 'WATCHERS', 'GOSSIP TX/RX', 'DROPPED', 'SUSPECT', 'HEALTH', 'SYNC P99'],
        view.nodes.map((s) => [
          s.node,
          s.responding ? s.role : s.state === 'running' ? 'no answer' : s.state,
          n(s.raft?.term),
          n(s.raft?.proposalsCommitted),
          n(s.raft?.proposalsFailed),
          n(s.raft?.leaderChanges),
          n(s.leases?.active),
          n(s.watch?.streams),
          s.raft ? n(s.watch?.watchers) : '-',
          s.gossip ? `${s.gossip.messagesSent}/${s.gossip.messagesReceived}` : '-',
          n(s.gossip?.linkDropped),
          n(s.gossip?.suspicions),
          s.health?.status ?? '-',
          s.disk?.syncP99Seconds != null ? formatMetricNumber('sync_seconds', s.disk.syncP99Seconds) : '-',
        ]),
      ),
    );
    for (const s of view.nodes) if (!s.responding && s.state === 'running') this.log(`${s.node}: ${s.error}`);
  }

  private printNode(view: NodeMetricsView): void {
    this.log(`${view.node}: ${headline(view.summary)}  (ccm metrics ${view.node} --raw for the Prometheus text)`);
    for (const g of view.groups) {
      const families = g.group === 'Process' ? g.families.filter((f) => PROCESS_METRICS_SHOWN.has(f.name)) : g.families;
      if (families.length === 0) continue;
      this.log('');
      this.log(g.group);
      const rows: string[][] = [];
      for (const f of families) {
        const lines = describeFamily(f);
        lines.forEach(([series, value], i) => rows.push([`  ${series}`, value, i === 0 ? f.help : '']));
      }
      this.log(renderTable(['', '', ''], rows).split('\n').slice(1).join('\n'));
    }
  }
}

function headline(s: NodeMetricsSummary): string {
  const parts = [s.role ?? 'unknown role'];
  if (s.raft) parts.push(`term ${s.raft.term}`, `commit ${s.raft.commitIndex}`, `applied ${s.raft.appliedIndex}`);
  if (s.gossip) parts.push(`${s.gossip.alive} alive${s.gossip.suspect ? `, ${s.gossip.suspect} suspect` : ''}${s.gossip.dead ? `, ${s.gossip.dead} dead` : ''}`);
  if (s.health) parts.push(`health ${s.health.status}`);
  return parts.join(', ');
}
