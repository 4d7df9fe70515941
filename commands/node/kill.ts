import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodeKill extends CcmCommand<typeof NodeKill> {
  static override summary = 'Kill a node with SIGKILL, as a crash (the supervisor restarts it when healing is on).';
  static override description =
    'The process gets no chance to leave gossip or close anything: the others see it stop answering, suspect it, and declare it dead. With healing on (the default), the supervisor starts it again after a back-off; otherwise use ccm node start.';
  static override examples = ['<%= config.bin %> node kill n2', '<%= config.bin %> node kill n1 --json'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'kill');
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
