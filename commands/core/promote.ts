import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { findNode } from '../../src/cluster/cluster-file.js';

export default class CorePromote extends CcmCommand<typeof CorePromote> {
  static override summary = 'Make a learner a voter, once it has caught up.';
  static override description =
    'Turns a learner into a voter, one configuration change through the log. Promote only a learner that has caught up: a voter that lags counts toward quorum without being able to help reach it.';
  static override examples = ['<%= config.bin %> core promote n4'];
  static override args = { id: Args.string({ required: true, description: 'node id, e.g. n4' }) };


  async run(): Promise<{ voters: string[]; learners: string[] }> {
    const { client, file } = clientForCluster(this.clusterPaths());
    findNode(file, this.args.id);
    const r = await client.changeCore('promote', this.args.id);
    this.log(`voters: ${r.voters.join(', ')}${r.learners.length ? `; learners: ${r.learners.join(', ')}` : ''}`);
    return r;
  }
}
