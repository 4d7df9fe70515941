import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import type { ClusterStatus } from '../src/api/api-types.js';
import { clusterStatus } from '../src/cluster/cluster-status.js';
import { formatDuration } from '../src/time/duration.js';
import { runDashboard } from '../src/tui/run-dashboard.js';
import { paint, paintWord } from '../src/cli/colour.js';
import { renderEtcdMembers } from '../src/cli/etcd-format.js';

export default class Status extends CcmCommand<typeof Status> {
  static override summary = 'Show every node: process state, ports, uptime, and who can reach whom.';
  static override description =
    'For every node: whether its process runs (and answers), its pid, whether it is a Raft voter or a member, uptime, starts and supervisor restarts, its ports, and a one-way reachability probe (each node pings every other over the peer port, so a one-way partition shows as one-way). Active faults are listed below the table. --watch opens the live view (ccm top).';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --name demo', '<%= config.bin %> status --no-probe --json', '<%= config.bin %> status --watch'];
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
        ['NODE', 'STATE', 'PID', 'KIND', 'UPTIME', 'STARTS', 'RESTARTS', 'HTTP', 'PEER', 'GOSSIP', 'ETCD', 'REACHES', 'HOST'],
        status.nodes.map((n) => [
          n.id,
          n.state === 'running' && !n.responding ? paint('running (not answering)', 'warn') : paintWord(n.state),
          n.pid,
          n.kind,
          n.uptimeMs === null ? null : formatDuration(n.uptimeMs),
          n.startCount,
          n.restarts,
          n.ports.http,
          n.ports.peer,
          n.ports.gossip,
          status.etcd ? '-' : (n.ports.etcd ?? '-'),
          n.state !== 'running' || this.flags['no-probe']
            ? '-'
            : n.cannotReach.length === 0
              ? paint(`all ${total - 1}`, 'good')
              : paint(`${n.reaches.length}/${total - 1} (not ${n.cannotReach.join(',')})`, 'warn'),
          n.host ?? '-',
        ]),
      ),
    );
    if (status.etcd) this.log(`\n${renderEtcdMembers(status.etcd)}`);
    if (status.faults.length > 0) this.log(`\n${paint('active faults:', 'warn')}\n${status.faults.map((f) => `  ${f}`).join('\n')}`);
    const authProblems = status.nodes.filter((n) => n.peerAuth?.problem).map((n) => `  ${n.id}: ${n.peerAuth!.problem}`);
    if (authProblems.length > 0) this.log(`\npeer authentication:\n${authProblems.join('\n')}`);
    return status;
  }
}
