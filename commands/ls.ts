import { CcmCommand } from '../src/cli/ccm-command.js';
import { paintWord } from '../src/cli/colour.js';
import { renderTable } from '../src/cli/output-table.js';
import { listClusters, type ClusterListing } from '../src/cluster/membership.js';

export default class Ls extends CcmCommand<typeof Ls> {
  static override summary = 'List the clusters in the home (--dir or CCM_HOME): state, nodes running, voters.';
  static override description =
    'One row per cluster directory with a cluster.json: running (every node runs), partial (some do), stopped, or broken (cluster.json cannot ' +
    'be read; the reason is shown). Nothing is started or changed.';
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --dir /tmp/clusters --json'];

  async run(): Promise<{ home: string; clusters: ClusterListing[] }> {
    const home = this.clusterPaths().home;
    const clusters = listClusters(home);
    if (clusters.length === 0) this.log(`no clusters in ${home}; start one with: ccm up`);
    else
      this.log(
        renderTable(
          ['NAME', 'STATE', 'NODES', 'RUNNING', 'FIRST VOTERS', 'CREATED'],
          clusters.map((c) => [
            c.name,
            paintWord(c.state),
            c.nodes,
            c.running,
            c.core.join(',') || null,
            c.createdAtMs === null ? c.problem ?? null : new Date(c.createdAtMs).toISOString().slice(0, 16).replace('T', ' '),
          ]),
        ),
      );
    return { home, clusters };
  }
}
