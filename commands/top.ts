import { CcmCommand } from '../src/cli/ccm-command.js';
import type { ClusterStatus } from '../src/api/api-types.js';
import { runDashboard } from '../src/tui/run-dashboard.js';

export default class Top extends CcmCommand<typeof Top> {
  static override summary = 'The live view: nodes, roles, terms, lag, gossip, who reaches whom, leases, config and events; keys kill, pause, restart, isolate and heal.';
  static override description =
    'Refreshes about once a second (the reachability probe every 3 s). Keys: ↑/↓ pick a node, k kill, p pause/resume, r restart, i isolate, h heal all, ? help, q or Ctrl-C quit. On a stdout that is not a terminal it prints the table once; with --json, the status once.';
  static override examples = ['<%= config.bin %> top', '<%= config.bin %> top --name demo', '<%= config.bin %> top --json'];

  async run(): Promise<ClusterStatus | undefined> {
    return runDashboard(this.clusterPaths(), { isJson: this.jsonEnabled(), log: (line) => this.log(line) });
  }
}
