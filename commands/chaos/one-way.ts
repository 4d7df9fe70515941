import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { describeFault, type Fault } from '../../src/faults/faults.js';

export default class ChaosOneWay extends CcmCommand<typeof ChaosOneWay> {
  static override summary = 'An asymmetric partition: FROM cannot reach TO, while TO still reaches FROM.';
  static override description =
    'Messages from FROM to TO are dropped; messages from TO to FROM pass. Such asymmetric faults are what gossip\'s indirect probes and Raft\'s pre-vote must cope with; ccm status shows the one-way cell in its reachability column.';
  static override examples = ['<%= config.bin %> chaos one-way n1 n2'];
  static override args = {
    from: Args.string({ description: 'the node whose messages are lost', required: true }),
    to: Args.string({ description: 'the node they no longer reach', required: true }),
  };

  async run(): Promise<FaultChange> {
    const fault: Fault = { kind: 'one-way', from: this.args.from, to: this.args.to };
    const change = await addFault(this.clusterPaths(), fault);
    this.log(describeFault(fault));
    return change;
  }
}
