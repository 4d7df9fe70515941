import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateElectionName } from '../../src/services/election.js';

export default class ElectionResign extends CcmCommand<typeof ElectionResign> {
  static override summary = "Resign a leadership by its lease (for a leader run from a script rather than ccm election campaign); the next in line leads.";
  static override description =
    'Releases the leadership lock held by that lease; the first candidate in line becomes leader in the same step.';
  static override examples = ['<%= config.bin %> election resign scheduler --lease 42'];
  static override args = { name: Args.string({ required: true, description: 'the election name' }) };
  static override flags = {
    lease: Flags.integer({ summary: 'The leader\'s lease (from campaign or ccm election leader).', required: true }),
    secret: Flags.string({ ...secretFlagOptions, required: true }),
  };

  async run(): Promise<{ election: string; lease: number; revision: number; nextLeader?: string }> {
    const name = validateElectionName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.resign(name, this.flags.lease, this.flags.secret);
    this.log(`resigned leadership of ${name}${r.nextLeader ? `; ${r.nextLeader} leads now` : ''}`);
    return r;
  }
}
