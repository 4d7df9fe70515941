import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { addFault, type FaultChange } from '../../src/chaos/chaos-control.js';
import { isolate } from '../../src/chaos/partition-shapes.js';
import { findNode } from '../../src/cluster/cluster-file.js';
import { readRunningCluster } from '../../src/cluster/launcher.js';

export default class ChaosIsolate extends CcmCommand<typeof ChaosIsolate> {
  static override summary = 'Cut one node off from every other node (a partition of one; replaces any earlier partition).';
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
