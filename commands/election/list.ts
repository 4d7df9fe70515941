import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ElectionView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { formatDuration } from '../../src/time/duration.js';

export default class ElectionList extends CcmCommand<typeof ElectionList> {
  static override summary = 'Every election that has a leader: who, the fencing token, TTL left, and who is in line.';
  static override description =
    'One row per election with a leader: the leader\'s id, fencing token, TTL left and the number of candidates in line.';
  static override examples = ['<%= config.bin %> election list', '<%= config.bin %> election list --json'];

  async run(): Promise<{ elections: ElectionView[]; revision: number }> {
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.elections();
    if (r.elections.length === 0) this.log('no election has a leader');
    else
      this.log(
        renderTable(
          ['ELECTION', 'LEADER', 'TOKEN', 'LEASE', 'TTL LEFT', 'IN LINE'],
          r.elections.map((e) => [e.election, e.leader?.id, e.leader?.token, e.leader?.lease, e.leader?.ttlLeftMs == null ? '?' : formatDuration(e.leader.ttlLeftMs), e.candidates.map((c) => c.id).join(', ') || null]),
        ),
      );
    return r;
  }
}
