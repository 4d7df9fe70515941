import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import type { ClusterHealthView } from '../src/api/api-types.js';
import { clusterHealth } from '../src/cluster/cluster-gossip.js';
import { paintWord } from '../src/cli/colour.js';

export default class Health extends CcmCommand<typeof Health> {
  static override summary = 'Health per node and per check: passing, warning or critical, with output.';
  static override description =
    'Each node runs its checks (event-loop lag, memory, disk, raft lag where registered, and user HTTP/TCP/command checks) ' +
    'and gossips a summary. The gossip check says whether the other nodes hold it alive. A node that does not answer is shown ' +
    'from its peers\' views. Add checks with: ccm health check add.';
  static override examples = ['<%= config.bin %> health', '<%= config.bin %> health --json'];

  async run(): Promise<ClusterHealthView> {
    const result = await clusterHealth(this.clusterPaths());
    const rows: (string | null)[][] = [];
    for (const n of result.nodes) {
      n.checks.forEach((c, i) => {
        const firstLine = c.output.split('\n', 1)[0];
        rows.push([i === 0 ? n.id : '', i === 0 ? paintWord(n.status) : '', c.name, paintWord(c.status), firstLine.length > 100 ? `${firstLine.slice(0, 100)}…` : firstLine]);
      });
    }
    this.log(renderTable(['NODE', 'STATUS', 'CHECK', 'CHECK STATUS', 'OUTPUT'], rows));
    this.log(`\ncluster ${result.cluster}: ${paintWord(result.status)}`);
    return result;
  }
}
