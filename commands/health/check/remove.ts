import { Args } from '@oclif/core';
import { CcmCommand } from '../../../src/cli/ccm-command.js';
import { removeHealthCheck } from '../../../src/cluster/cluster-gossip.js';

export default class HealthCheckRemove extends CcmCommand<typeof HealthCheckRemove> {
  static override summary = 'Remove a user health check from a node.';
  static override description =
    'Only user checks can be removed; the built-in ones (event-loop lag, memory, disk, raft lag, gossip) always run.';
  static override examples = ['<%= config.bin %> health check remove n2 api'];
  static override args = {
    node: Args.string({ description: 'node id, e.g. n2', required: true }),
    check: Args.string({ description: 'check name', required: true }),
  };

  async run(): Promise<{ node: string; removed: string }> {
    const result = await removeHealthCheck(this.clusterPaths(), this.args.node, this.args.check);
    this.log(`${result.node}: check ${result.removed} removed`);
    return result;
  }
}
