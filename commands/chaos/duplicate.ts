import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { parseBetween, parsePercent } from '../../src/faults/fault-args.js';
import { describeFault, type Fault } from '../../src/faults/faults.js';

export default class ChaosDuplicate extends CcmCommand<typeof ChaosDuplicate> {
  static override summary = 'Deliver a share of the messages twice, between two nodes (both ways) or on every link.';
  static override description = 'Replaces an earlier duplicate rule on the same link. The share is a percentage from 0% to 100%.';
  static override examples = ['<%= config.bin %> chaos duplicate 5%', '<%= config.bin %> chaos duplicate 5% --between n1 n2'];
  static override args = { rate: Args.string({ description: 'share of messages, e.g. 5%', required: true }) };
  static override flags = {
    between: Flags.string({ summary: 'Only between these two nodes (give the flag two values: --between n1 n2).', multiple: true }),
  };

  async run(): Promise<FaultChange> {
    const rate = parsePercent(this.args.rate, 'duplicate rate');
    const [a, b] = parseBetween(this.flags.between);
    const fault: Fault = { kind: 'duplicate', a, b, rate };
    const change = await addFault(this.clusterPaths(), fault);
    this.log(describeFault(fault));
    return change;
  }
}
