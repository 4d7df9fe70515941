import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import type { ElectionChange } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateElectionName } from '../../src/services/election.js';

export default class ElectionObserve extends CcmCommand<typeof ElectionObserve> {
  static override summary = 'Print who leads an election now, then every change of leader, until Ctrl-C (--json: one line per change).';
  static override description =
    'Follows the election\'s lock with a watch: a line when a leader is elected, resigns, or loses its lease, until Ctrl-C.';
  static override examples = ['<%= config.bin %> election observe scheduler', '<%= config.bin %> election observe scheduler --json'];
  static override args = { name: Args.string({ required: true, description: 'the election name' }) };

  async run(): Promise<void> {
    const name = validateElectionName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const asJson = this.jsonEnabled();
    const print = (c: ElectionChange): void => {
      const at = new Date(c.atMs).toISOString().slice(11, 23);
      process.stdout.write((asJson ? JSON.stringify(c) : `${at}  ${c.leader ? `${c.leader.id} leads ${name} (fencing token ${c.leader.token}, lease ${c.leader.lease})` : `nobody leads ${name}`}  [revision ${c.revision}]`) + '\n');
    };
    const w = await client.observeElection(name, {
      onChange: print,
      onReconnect: (node, from, reason) => process.stderr.write(`(reconnecting to ${node} from revision ${from}: ${reason})\n`),
    });
    const stop = (): void => w.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await w.done;
  }
}
