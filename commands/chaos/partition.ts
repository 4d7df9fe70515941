import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, parseGroups, type FaultChange } from '../../src/chaos/chaos-control.js';

export default class ChaosPartition extends CcmCommand<typeof ChaosPartition> {
  static override summary = 'Split the cluster into groups that cannot reach each other (replaces any earlier partition).';
  static override description = 'Each argument is a comma-separated group. Nodes named in no group can reach everyone.';
  static override examples = ['<%= config.bin %> chaos partition n1,n2 n3,n4,n5'];
  static override strict = false;

  async run(): Promise<FaultChange> {
    const groups = parseGroups(this.positional);
    const change = await addFault(this.clusterPaths(), { kind: 'partition', groups });
    this.log(`partitioned: ${groups.map((g) => `{${g.join(',')}}`).join(' | ')}`);
    if (change.pending.length) this.log(`not running now (will apply at start): ${change.pending.join(', ')}`);
    return change;
  }

}
