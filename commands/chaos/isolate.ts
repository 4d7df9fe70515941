import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { isolate } from '../../src/chaos/partition-shapes.js';
import { findNode } from '../../src/cluster/cluster-file.js';
import { readRunningCluster } from '../../src/cluster/launcher.js';

export default class ChaosIsolate extends CcmCommand<typeof ChaosIsolate> {
  static override summary = 'Cut one node off from every other node (a partition of one; replaces any earlier partition).';
  static override description =
    'Every link between the node and the others drops messages both ways (peer TCP, gossip UDP and forwarded requests alike); its HTTP API still answers. A Raft leader isolated this way steps down once check-quorum sees no majority. Undo with ccm chaos heal.';
  static override examples = ['<%= config.bin %> chaos isolate n1', '<%= config.bin %> chaos isolate n3 --json'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };

  async run(): Promise<FaultChange> {
    const paths = this.clusterPaths();
    const file = readRunningCluster(paths);
    findNode(file, this.args.id);
    const change = await addFault(paths, { kind: 'partition', groups: isolate(this.args.id, file.nodes.map((n) => n.id)) });
    this.log(`isolated ${this.args.id}`);
    return change;
  }
}
