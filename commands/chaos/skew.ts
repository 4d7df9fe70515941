import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { parseSkew } from '../../src/faults/fault-args.js';
import { describeFault, type Fault } from '../../src/faults/faults.js';

export default class ChaosSkew extends CcmCommand<typeof ChaosSkew> {
  static override summary = "Offset a node's clock: +3s runs it ahead, -500ms behind, 0s puts it right (an offset in its injected clock).";
  static override description = 'The offset applies to wall time (what the node shows and stamps); durations and timeouts use the monotonic clock.';
  static override examples = ['<%= config.bin %> chaos skew n4 +3s', '<%= config.bin %> chaos skew n4 -- -500ms', '<%= config.bin %> chaos skew n4 0s'];
  static override strict = false;
  static override args = {
    id: Args.string({ description: 'node id, e.g. n4', required: true }),
    offset: Args.string({ description: 'the offset, e.g. +3s or -500ms', required: true }),
  };

  async run(): Promise<FaultChange> {
    const fault: Fault = { kind: 'skew', node: this.args.id, offsetMs: parseSkew(this.args.offset) };
    const change = await addFault(this.clusterPaths(), fault);
    this.log(fault.offsetMs === 0 ? `clock of ${fault.node} set right` : describeFault(fault));
    if (change.pending.length) this.log(`${fault.node} did not answer: the offset is recorded but not applied`);
    return change;
  }
}
