import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { ElectionView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateElectionName } from '../../src/services/election.js';
import { formatDuration } from '../../src/time/duration.js';

export default class ElectionLeader extends CcmCommand<typeof ElectionLeader> {
  static override summary = "Who leads an election now (id, fencing token, TTL left) and who is in line; exits 1 if nobody leads.";
  static override description =
    'Reads the election\'s lock: the leader\'s id, its lease, the fencing token (a revision that only grows) and the time left before the lease ends, plus the candidates queued behind it.';
  static override examples = ['<%= config.bin %> election leader scheduler', '<%= config.bin %> election leader scheduler --json'];
  static override args = { name: Args.string({ required: true, description: 'the election name' }) };

  async run(): Promise<ElectionView> {
    const name = validateElectionName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const v = await client.electionLeader(name);
    if (!v.leader) throw new CcmError('not_found', `nobody leads ${name} (no candidate is campaigning)`);
    this.log(`${v.leader.id} leads ${name}: fencing token ${v.leader.token}, lease ${v.leader.lease}, ${v.leader.ttlLeftMs === null ? 'TTL left unknown' : `${formatDuration(v.leader.ttlLeftMs)} left unless renewed`}`);
    if (v.candidates.length > 0) this.log(`in line: ${v.candidates.map((c) => c.id).join(', ')}`);
    return v;
  }
}
