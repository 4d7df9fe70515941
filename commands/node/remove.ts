import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { stderrProgress } from '../../src/cli/progress.js';
import { removeNode, type NodeRemoveResult } from '../../src/cluster/membership.js';

export default class NodeRemove extends CcmCommand<typeof NodeRemove> {
  static override summary = 'Shrink a running cluster by one node: out of the Raft core first (if it is in it), then a graceful leave from gossip.';
  static override description =
    'A voter or learner is first removed from the core through the log. That is refused, with the reason, when it would leave the core without ' +
    'a voter or without a quorum of voters the leader hears from (etcd\'s strict reconfiguration check). Then the node leaves gossip gracefully ' +
    '(others see it as left, not dead), its process stops, and it is forgotten: cluster.json, its data directory, every other node\'s peer list. ' +
    'A node named in an active fault is refused until the fault is healed.';
  static override examples = ['<%= config.bin %> node remove n4', '<%= config.bin %> node remove n2 --name demo --json'];
  static override args = { id: Args.string({ description: 'node id, e.g. n4', required: true }) };

  async run(): Promise<NodeRemoveResult> {
    const progress = stderrProgress();
    let result: NodeRemoveResult;
    try {
      result = await removeNode(this.clusterPaths(), this.args.id, { onProgress: (t) => progress.update(t) });
    } finally {
      progress.done();
    }
    this.log(`${result.id} removed${result.leftCore ? ` (left the core first; voters now ${result.core?.voters.join(', ')})` : ''}`);
    return result;
  }
}
