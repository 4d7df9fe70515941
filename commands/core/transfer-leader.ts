import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { findNode } from '../../src/cluster/cluster-file.js';

export default class CoreTransferLeader extends CcmCommand<typeof CoreTransferLeader> {
  static override summary = 'Hand Raft leadership to another voter (it catches up first; writes pause briefly).';
  static override description =
    'Raft\'s leadership transfer: the leader brings the target up to date, tells it to campaign at once, and steps down; writes pause for about one round trip. Waits until the target leads.';
  static override examples = ['<%= config.bin %> core transfer-leader n2'];
  static override args = { id: Args.string({ required: true, description: 'the voter to lead, e.g. n2' }) };

  async run(): Promise<{ from: string; to: string }> {
    const { client, file } = clientForCluster(this.clusterPaths());
    findNode(file, this.args.id);
    const result = await client.transferLeader(this.args.id);
    this.log(`leader: ${result.from} -> ${result.to}`);
    return result;
  }
}
