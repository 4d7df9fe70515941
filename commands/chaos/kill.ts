import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { killNode } from '../../src/chaos/chaos-control.js';

export default class ChaosKill extends CcmCommand<typeof ChaosKill> {
  static override summary = 'Crash a node with SIGKILL and hold it down until ccm chaos heal (or ccm node start).';
  static override description = 'With --no-hold it is a plain crash: a healing supervisor restarts it, as after ccm node kill.';
  static override examples = ['<%= config.bin %> chaos kill n2', '<%= config.bin %> chaos kill n2 --no-hold'];
  static override args = { id: Args.string({ description: 'node id, e.g. n2', required: true }) };
  static override flags = {
    hold: Flags.boolean({ summary: 'Keep the node down (the supervisor leaves it alone) until healed.', default: true, allowNo: true }),
  };

  async run(): Promise<{ node: string; pid: number; held: boolean }> {
    const result = await killNode(this.clusterPaths(), this.args.id, { hold: this.flags.hold });
    this.log(`killed ${result.node} (SIGKILL, pid ${result.pid})${result.held ? '; held down until ccm chaos heal' : ''}`);
    return result;
  }
}
