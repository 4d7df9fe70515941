import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { parseDelay } from '../../src/faults/fault-args.js';
import { describeFault, type Fault } from '../../src/faults/faults.js';

export default class ChaosDelay extends CcmCommand<typeof ChaosDelay> {
  static override summary = 'Add latency to the messages between two nodes (both ways), or on every link.';
  static override description = 'Replaces an earlier delay on the same link. Durations: 200ms, 1.5s (at most 60s).';
  static override examples = ['<%= config.bin %> chaos delay n1 n2 200ms --jitter 50ms', '<%= config.bin %> chaos delay 100ms'];
  static override strict = false;
  static override flags = {
    jitter: Flags.string({ summary: 'Extra random latency, uniform in [0, jitter].', default: '0ms' }),
  };

  async run(): Promise<FaultChange> {
    const args = this.positional;
    if (args.length !== 1 && args.length !== 3) {
      throw new CcmError('invalid_argument', 'give a delay for every link (ccm chaos delay 200ms) or two nodes and a delay (ccm chaos delay n1 n2 200ms)');
    }
    const [a, b, text] = args.length === 3 ? args : ['*', '*', args[0]];
    const fault: Fault = { kind: 'delay', a, b, delayMs: parseDelay(text), jitterMs: parseDelay(this.flags.jitter, 'jitter') };
    const change = await addFault(this.clusterPaths(), fault);
    this.log(describeFault(fault));
    return change;
  }
}
