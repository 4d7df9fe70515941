import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { nodeAction, type NodeActionResult } from '../../src/cluster/launcher.js';

export default class ChaosResume extends CcmCommand<typeof ChaosResume> {
  static override summary = 'Continue a paused node (SIGCONT).';
  static override examples = ['<%= config.bin %> chaos resume n2'];
  static override args = { id: Args.string({ description: 'node id, e.g. n2', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await nodeAction(this.clusterPaths(), this.args.id, 'resume');
    this.log(`resumed ${result.id}`);
    return result;
  }
}
