import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodeRestart extends CcmCommand<typeof NodeRestart> {
  static override summary = 'Stop a node gracefully and start it again.';
  static override description =
    'SIGTERM (graceful: it leaves gossip, closes its database), then a start with the same data and ports; waits until it answers.';
  static override examples = ['<%= config.bin %> node restart n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'restart');
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
