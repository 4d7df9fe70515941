import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ConfigStatusView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { paintWord } from '../../src/cli/colour.js';

export default class ConfigStatus extends CcmCommand<typeof ConfigStatus> {
  static override summary = "Each node's copy of the config: the config revision it has applied, and whether it has caught up with the cluster's.";
  static override description =
    'Each node keeps a local mirror of the config, fed by a watch. This shows the revision every node has applied against the cluster\'s, so you can see a lagging or partitioned node.';
  static override examples = ['<%= config.bin %> config status', '<%= config.bin %> config status --json'];

  async run(): Promise<ConfigStatusView> {
    const { client } = clientForCluster(this.clusterPaths());
    const s = await client.configStatus();
    this.log(
      renderTable(
        ['NODE', 'CONFIG REVISION', 'CAUGHT UP', 'NOTE'],
        s.nodes.map((n) => [n.node, n.configRevision, paintWord(n.isCaughtUp ? 'yes' : 'no'), n.error ?? (n.isSynced === false ? 'reloading' : null)]),
      ),
    );
    this.log(`\ncluster config revision ${s.configRevision}`);
    return s;
  }
}
