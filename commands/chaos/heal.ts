import { CcmCommand } from '../../src/cli/ccm-command.js';
import { healCluster, type HealResult } from '../../src/chaos/chaos-control.js';

export default class ChaosHeal extends CcmCommand<typeof ChaosHeal> {
  static override summary = 'Return the cluster to no faults: link faults and clock skews removed, paused nodes resumed, killed nodes started.';
  static override examples = ['<%= config.bin %> chaos heal', '<%= config.bin %> chaos heal --json'];
  static override description = 'Nodes the operator stopped (ccm node stop) stay stopped.';

  async run(): Promise<HealResult> {
    const result = await healCluster(this.clusterPaths());
    const lines: string[] = [];
    if (result.removed.length) lines.push(`healed ${result.removed.length} fault(s):`, ...result.removed.map((r) => `  ${r}`));
    if (result.resumed.length) lines.push(`resumed ${result.resumed.join(', ')}`);
    if (result.restarted.length) lines.push(`restarted ${result.restarted.join(', ')}`);
    for (const f of result.failed) lines.push(`could not heal ${f.node}: ${f.why}`);
    this.log(lines.length ? lines.join('\n') : 'no faults were active');
    if (result.failed.length) process.exitCode = 1;
    return result;
  }
}
