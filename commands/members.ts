import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import type { MembersView } from '../src/api/api-types.js';
import { membersView } from '../src/cluster/cluster-gossip.js';
import { formatDuration } from '../src/time/duration.js';
import { paintWord } from '../src/cli/colour.js';

export default class Members extends CcmCommand<typeof Members> {
  static override summary = "One node's gossip view of the cluster: state, incarnation, phi, tags and health of every member.";
  static override description =
    'SWIM gives each member a state (alive, suspect, dead, left) and an incarnation; beside it, phi is the asking node\'s ' +
    'phi accrual suspicion of that member (every datagram from it is a heartbeat). Views differ while news spreads and under a partition.';
  static override examples = ['<%= config.bin %> members', '<%= config.bin %> members --from n4', '<%= config.bin %> members --from n4 --json'];
  static override flags = {
    from: Flags.string({ summary: 'Whose view to show (default: the first running node).' }),
  };

  async run(): Promise<MembersView> {
    const view = await membersView(this.clusterPaths(), this.flags.from);
    this.log(`${view.node}'s view (its incarnation ${view.incarnation}; emergent leader ${view.emergentLeader ?? 'none'})`);
    this.log(
      renderTable(
        ['ID', 'ADDRESS', 'STATE', 'INC', 'PHI', 'FOR', 'HEALTH', 'TAGS'],
        view.members.map((m) => [
          m.isSelf ? `${m.id}*` : m.id,
          m.address,
          paintWord(m.state),
          m.incarnation,
          m.isSelf ? '-' : m.phi.toFixed(2),
          formatDuration(m.stateForMs),
          m.health ? paintWord(`${m.health.status}${m.health.failing.length ? ` (${m.health.failing.join(',')})` : ''}`) : '-',
          Object.entries(m.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || '-',
        ]),
      ),
    );
    for (const s of view.suspicions) {
      this.log(
        `${paintWord('suspect')} ${s.member}: accused by ${s.accusers.join(', ')}, ${s.confirmations}/${s.confirmationsWanted} confirmations, dead in ${formatDuration(s.deadInMs)} unless it refutes`,
      );
    }
    return view;
  }
}
