import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import type { ClusterStatus } from '../src/client/api-types.js';
import { clusterStatus } from '../src/cluster/cluster-status.js';
import { formatDuration } from '../src/time/duration.js';
import { runDashboard } from '../src/tui/run-dashboard.js';

export default class Status extends CcmCommand<typeof Status> {
  static override summary = 'Show every node: process state, ports, uptime, and who can reach whom.';
  static override flags = {
    'no-probe': Flags.boolean({ summary: 'Skip the reachability probe (faster).', default: false }),
    watch: Flags.boolean({ char: 'w', summary: 'The live, interactive view (same as ccm top); with --json, print once.', default: false }),
  };

  async run(): Promise<ClusterStatus | undefined> {
    if (this.flags.watch && !this.jsonEnabled()) return runDashboard(this.clusterPaths(), { isJson: false, log: (line) => this.log(line) });
    const status = await clusterStatus(this.clusterPaths(), { probeReachability: !this.flags['no-probe'] });
    const total = status.nodes.length;
    this.log(
      renderTable(
        ['NODE', 'STATE', 'PID', 'KIND', 'UPTIME', 'STARTS', 'RESTARTS', 'HTTP', 'PEER', 'GOSSIP', 'ETCD', 'REACHES'],
        status.nodes.map((n) => [
          n.id,
          n.state === 'running' && !n.responding ? 'running (not answering)' : n.state,
          n.pid,
          n.kind,
          n.uptimeMs === null ? null : formatDuration(n.uptimeMs),
          n.startCount,
          n.restarts,
          n.ports.http,
          n.ports.peer,
          n.ports.gossip,
          n.ports.etcd ?? '-',
          n.state !== 'running' || this.flags['no-probe']
            ? '-'
            : n.cannotReach.length === 0
              ? `all ${total - 1}`
              : `${n.reaches.length}/${total - 1} (not ${n.cannotReach.join(',')})`,
        ]),
      ),
    );
    if (status.faults.length > 0) this.log(`\nactive faults:\n${status.faults.map((f) => `  ${f}`).join('\n')}`);
    return status;
  }
}
