import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { parseClockRate } from '../../src/faults/fault-args.js';
import { describeFault, type Fault } from '../../src/faults/faults.js';

export default class ChaosClockRate extends CcmCommand<typeof ChaosClockRate> {
  static override summary = "Run a node's timers fast or slow: 2x, 0.5x (1x puts it right). Its monotonic clock, Raft ticks, gossip timers and lease TTLs follow.";
  static override description =
    'Skew moves only wall time, which leases rightly ignore; a clock that runs fast makes a leader expire leases early (by its own clock), ' +
    'one that runs slow makes a node time out late. ccm chaos heal puts every clock right.';
  static override examples = ['<%= config.bin %> chaos clock-rate n1 2x', '<%= config.bin %> chaos clock-rate n3 0.5x', '<%= config.bin %> chaos clock-rate n1 1x'];
  static override args = {
    id: Args.string({ description: 'node id, e.g. n1', required: true }),
    rate: Args.string({ description: 'the rate, e.g. 2x or 0.5x', required: true }),
  };

  async run(): Promise<FaultChange> {
    const fault: Fault = { kind: 'clock-rate', node: this.args.id, rate: parseClockRate(this.args.rate) };
    const change = await addFault(this.clusterPaths(), fault);
    this.log(fault.rate === 1 ? `timers of ${fault.node} run at real time again` : describeFault(fault));
    if (change.pending.length) this.log(`${fault.node} did not answer: the rate is recorded but not applied`);
    return change;
  }
}
