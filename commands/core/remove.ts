import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { findNode } from '../../src/cluster/cluster-file.js';

export default class CoreRemove extends CcmCommand<typeof CoreRemove> {
  static override summary = 'Remove a voter or learner from the core (the last voter cannot be removed).';
  static override description =
    'One configuration change through the log. Removing the leader makes it step down once the change commits. A removal is refused when it would leave no voter, or when the voters that remain reachable would not form a quorum.';
  static override examples = ['<%= config.bin %> core remove n4', '<%= config.bin %> core remove n3 --json'];
  static override args = { id: Args.string({ required: true, description: 'node id, e.g. n4' }) };


  async run(): Promise<{ voters: string[]; learners: string[] }> {
    const { client, file } = clientForCluster(this.clusterPaths());
    findNode(file, this.args.id);
    const r = await client.changeCore('remove', this.args.id);
    this.log(`voters: ${r.voters.join(', ')}${r.learners.length ? `; learners: ${r.learners.join(', ')}` : ''}`);
    return r;
  }
}
