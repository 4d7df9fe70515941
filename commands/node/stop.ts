import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodeStop extends CcmCommand<typeof NodeStop> {
  static override summary = 'Stop a node gracefully (SIGTERM); the supervisor leaves it stopped.';
  static override description =
    'The node leaves gossip gracefully (others see it as left, not dead) and stays stopped: the supervisor restarts only nodes that should run. Start it again with ccm node start.';
  static override examples = ['<%= config.bin %> node stop n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'stop');
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
