import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { findNode } from '../../src/cluster/cluster-file.js';

export default class CoreRemove extends CcmCommand<typeof CoreRemove> {
  static override summary = 'Remove a voter or learner from the core (the last voter cannot be removed).';
  static override args = { id: Args.string({ required: true, description: 'node id, e.g. n4' }) };


  async run(): Promise<{ voters: string[]; learners: string[] }> {
    const { client, file } = clientForCluster(this.clusterPaths());
    findNode(file, this.args.id);
    const r = await client.changeCore('remove', this.args.id);
    this.log(`voters: ${r.voters.join(', ')}${r.learners.length ? `; learners: ${r.learners.join(', ')}` : ''}`);
    return r;
  }
}
