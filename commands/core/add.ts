import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { findNode } from '../../src/cluster/cluster-file.js';
import { waitForCatchUp } from '../../src/cluster/core-status.js';
import { stderrProgress } from '../../src/cli/progress.js';

export default class CoreAdd extends CcmCommand<typeof CoreAdd> {
  static override summary = 'Add a node to the core, as a learner (it gets the log but does not vote) unless --voter.';
  static override description =
    'A learner receives the log (or a snapshot) without voting, so it cannot hurt availability while it catches up; promote it afterwards with ccm core promote (or use ccm node add --core, which does both). On a terminal, shows how far behind the leader the learner still is. The node must already be part of the cluster (ccm node add).';
  static override examples = ['<%= config.bin %> core add n4', '<%= config.bin %> core add n4 --voter'];
  static override args = { id: Args.string({ required: true, description: 'node id, e.g. n4' }) };
  static override flags = { voter: Flags.boolean({ summary: 'Add it as a voter at once (it counts toward quorum while it catches up).' }) };

  async run(): Promise<{ voters: string[]; learners: string[] }> {
    const { client, file } = clientForCluster(this.clusterPaths());
    findNode(file, this.args.id);
    const r = await client.changeCore(this.flags.voter ? 'add-voter' : 'add-learner', this.args.id);
    // On a terminal, follow the new replica until it has the leader's log (a script gets the result at once).
    const progress = stderrProgress();
    if (progress.isShown) {
      try {
        await waitForCatchUp(file, this.args.id, 60_000, (text) => progress.update(text));
        progress.done();
        this.log(`${this.args.id} has caught up with the leader`);
      } catch (err) {
        progress.done();
        this.warn((err as Error).message);
      }
    }
    this.log(`voters: ${r.voters.join(', ')}${r.learners.length ? `; learners: ${r.learners.join(', ')}` : ''}`);
    return r;
  }
}
