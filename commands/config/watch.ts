import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { describeChange } from '../../src/cli/config-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigPrefix } from '../../src/services/config-values.js';

export default class ConfigWatch extends CcmCommand<typeof ConfigWatch> {
  static override summary = 'Stream config changes (every new version) under a name prefix until Ctrl-C; resumes across node failures.';
  static override description =
    'One line per new version (set, delete, rollback, import), in revision order; with --from-rev, history first. Resumes on another node when the one it watches fails.';
  static override examples = ['<%= config.bin %> config watch payments.', '<%= config.bin %> config watch --json'];
  static override args = { prefix: Args.string({ required: false, description: 'name prefix (all entries if omitted)' }) };
  static override flags = { 'from-rev': Flags.integer({ summary: 'Replay changes from this revision (inclusive) first.' }) };

  async run(): Promise<void> {
    const prefix = validateConfigPrefix(this.args.prefix ?? '');
    const { client } = clientForCluster(this.clusterPaths());
    const asJson = this.jsonEnabled();
    const w = client.watchConfig(prefix, {
      fromRevision: this.flags['from-rev'],
      onChange: (e) => void process.stdout.write((asJson ? JSON.stringify(e) : describeChange(e)) + '\n'),
      onReconnect: (node, from, reason) => process.stderr.write(`(reconnecting to ${node} from revision ${from}: ${reason})\n`),
    });
    const stop = (): void => w.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!asJson) process.stderr.write(`watching config ${prefix ? `under ${prefix}` : '(all entries)'}; Ctrl-C to stop\n`);
    await w.done;
  }
}
