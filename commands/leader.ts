import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import type { ClusterLeaderView } from '../src/api/api-types.js';
import { clusterLeaders } from '../src/cluster/cluster-gossip.js';
import { paint } from '../src/cli/colour.js';

export default class Leader extends CcmCommand<typeof Leader> {
  static override summary = 'The emergent leader (oldest alive member) as each node sees it, and whether they agree.';
  static override examples = ['<%= config.bin %> leader', '<%= config.bin %> leader --json'];
  static override description =
    'No election round: every node applies the rule to its own gossip view. Views agree once gossip has converged; ' +
    'under a partition each side may name its own leader. Anything that must be exclusive goes through the core (leases, fencing tokens).';

  async run(): Promise<ClusterLeaderView> {
    const result = await clusterLeaders(this.clusterPaths());
    this.log(renderTable(['NODE', 'LEADER'], result.views.map((v) => [v.node, v.isReachable ? (v.leader ?? 'none') : `- (${v.error})`])));
    const answering = result.views.filter((v) => v.isReachable).length;
    if (result.isAgreed) {
      this.log(`\n${answering === 1 ? 'the only answering node names' : paint(`all ${answering} answering nodes agree:`, 'good')} ${result.leader}`);
    } else {
      this.log(`\n${paint('views differ:', 'warn')} ${result.groups.map((g) => `${g.nodes.join(',')} name ${g.leader ?? 'nobody'}`).join('; ')}`);
    }
    return result;
  }
}
