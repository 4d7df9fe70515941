import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { resumeNode } from '../../src/chaos/chaos-control.js';
import type { NodeActionResult } from '../../src/cluster/launcher.js';

export default class ChaosResume extends CcmCommand<typeof ChaosResume> {
  static override summary = 'Continue a paused node (SIGCONT), with the link faults and clock offset set while it was paused.';
  static override description =
    'The node catches up on what was set while it was frozen (link faults and clock offset are pushed to it first), then gossip and Raft bring it up to date.';
  static override examples = ['<%= config.bin %> chaos resume n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n2', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await resumeNode(this.clusterPaths(), this.args.id);
    this.log(`resumed ${result.id}`);
    return result;
  }
}
