import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodePause extends CcmCommand<typeof NodePause> {
  static override summary = "Pause a node's process (SIGSTOP): it stays alive but answers nothing.";
  static override description =
    'The process is frozen but not dead: its sockets stay open and nothing answers. Others suspect it; when resumed it wakes with stale state. Same as ccm chaos pause.';
  static override examples = ['<%= config.bin %> node pause n3'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'pause');
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
