import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { resumeNode } from '../../src/chaos/chaos-control.js';
import type { NodeActionResult } from '../../src/cluster/launcher.js';

export default class NodeResume extends CcmCommand<typeof NodeResume> {
  static override summary = 'Resume a paused node (SIGCONT); it gets the link faults and clock offset set while it was paused.';
  static override description =
    'The node first gets the link faults and clock offset set while it was paused, then carries on. Same as ccm chaos resume.';
  static override examples = ['<%= config.bin %> node resume n3'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<NodeActionResult> {
    const result = await resumeNode(this.clusterPaths(), this.args.id);
    this.log(`${result.id}: ${result.state}${result.pid ? ` (pid ${result.pid})` : ''}`);
    return result;
  }
}
