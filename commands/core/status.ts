import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import { coreStatus, type CoreStatus } from '../../src/cluster/core-status.js';

export default class CoreStatusCommand extends CcmCommand<typeof CoreStatusCommand> {
  static override summary = 'Show the Raft core: per voter its role, term, commit/applied index, last log index and lag.';

  async run(): Promise<CoreStatus> {
    const status = await coreStatus(this.clusterPaths());
    this.log(
      renderTable(
        ['VOTER', 'STATE', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST', 'FIRST', 'LAG'],
        status.voters.map((v) => [v.id, v.state, v.role, v.term, v.leaderId, v.commit, v.applied, v.lastIndex, v.firstIndex, v.lag]),
      ),
    );
    if (status.learners.length) this.log(`learners: ${status.learners.join(', ')}`);
    this.log(status.leader ? `\nleader ${status.leader} (term ${status.term})` : '\nno leader right now');
    return status;
  }
}
