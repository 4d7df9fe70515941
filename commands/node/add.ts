import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { paintWord } from '../../src/cli/colour.js';
import { stderrProgress } from '../../src/cli/progress.js';
import { addNode, type NodeAddResult } from '../../src/cluster/membership.js';

export default class NodeAdd extends CcmCommand<typeof NodeAdd> {
  static override summary = 'Grow a running cluster by one node: it starts, joins through gossip, and with --core joins Raft as learner, then voter.';
  static override description =
    'The node gets the next id (n4 after n1-n3; a removed node\'s id is never reused) and free ports, every running node learns its ' +
    'address, and it joins gossip by a push-pull with the voters; the command returns once it sees every running node alive. With --core it ' +
    'is then added to Raft as a learner, catches up on the log (progress shown on a terminal), and is promoted to voter. Note that an even ' +
    'number of voters tolerates no more failures than one fewer.';
  static override examples = ['<%= config.bin %> node add', '<%= config.bin %> node add --core', '<%= config.bin %> node add --name demo --json'];
  static override flags = {
    core: Flags.boolean({ summary: 'Also make it a Raft voter (learner first, promoted once caught up).', default: false }),
  };

  async run(): Promise<NodeAddResult> {
    const progress = stderrProgress();
    let result: NodeAddResult;
    try {
      result = await addNode(this.clusterPaths(), { core: this.flags.core, onProgress: (t) => progress.update(t) });
    } finally {
      progress.done();
    }
    this.log(`${result.id} added as a ${paintWord(result.kind)} (pid ${result.pid}, http ${result.ports.http}, peer ${result.ports.peer}, gossip ${result.ports.gossip})`);
    if (result.core) this.log(`voters: ${result.core.voters.join(', ')}${result.core.learners.length ? `; learners: ${result.core.learners.join(', ')}` : ''}`);
    return result;
  }
}
