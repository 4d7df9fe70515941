import { CcmCommand } from '../../src/cli/ccm-command.js';
import { healAll, type FaultChange } from '../../src/chaos/chaos-control.js';

export default class ChaosHeal extends CcmCommand<typeof ChaosHeal> {
  static override summary = 'Remove every link fault: all nodes can reach each other again.';

  async run(): Promise<FaultChange & { removed: string[] }> {
    const result = await healAll(this.clusterPaths());
    this.log(result.removed.length ? `healed ${result.removed.length} fault(s):\n${result.removed.map((r) => `  ${r}`).join('\n')}` : 'no faults were active');
    return result;
  }
}
