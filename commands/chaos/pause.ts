import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class ChaosPause extends CcmCommand<typeof ChaosPause> {
  static override summary = 'Freeze a node with SIGSTOP: it keeps its sockets but answers nothing (a GC pause, a stalled VM).';
  static override description =
    'Unlike kill, the process keeps its state and its sockets: when resumed it carries on as if no time had passed, with stale leases and a stale view of who leads, which is exactly the case fencing tokens are for.';
  static override examples = ['<%= config.bin %> chaos pause n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n2', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'pause');
    this.log(`paused ${result.id} (SIGSTOP); ccm chaos resume ${result.id} or ccm chaos heal continues it`);
    return result;
  }
}
