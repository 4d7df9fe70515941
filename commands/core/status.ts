import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import { coreStatus, type CoreStatus } from '../../src/cluster/core-status.js';
import { paint, paintWord } from '../../src/cli/colour.js';

export default class CoreStatusCommand extends CcmCommand<typeof CoreStatusCommand> {
  static override summary = 'Show the Raft core: per voter its role, term, commit/applied index, last log index and lag.';
  static override description =
    'Asks every voter for its Raft status: role (leader, follower, candidate), term, the leader it knows, commit and applied index, the first and last index of its log (the log is compacted behind a snapshot), and how many entries it lags the leader.';
  static override examples = ['<%= config.bin %> core status', '<%= config.bin %> core status --json'];

  async run(): Promise<CoreStatus> {
    const status = await coreStatus(this.clusterPaths());
    this.log(
      renderTable(
        ['VOTER', 'STATE', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST', 'FIRST', 'LAG'],
        status.voters.map((v) => [v.id, paintWord(v.state), paintWord(v.role), v.term, v.leaderId, v.commit, v.applied, v.lastIndex, v.firstIndex, v.lag]),
      ),
    );
    if (status.learners.length) this.log(`learners: ${status.learners.join(', ')}`);
    this.log(status.leader ? `\n${paintWord('leader')} ${status.leader} (term ${status.term})` : `\n${paint('no leader right now', 'bad')}`);
    return status;
  }
}
