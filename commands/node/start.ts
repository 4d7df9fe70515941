import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodeStart extends CcmCommand<typeof NodeStart> {
  static override summary = 'Start a stopped node again, with its old data dir and ports.';
  static override description =
    'Starts the node\'s process with its old data directory and ports, and waits until it answers; it rejoins gossip and, if a voter, catches up on the Raft log.';
  static override examples = ['<%= config.bin %> node start n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'start');
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
