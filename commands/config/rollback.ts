import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultAuthor } from '../../src/cli/config-format.js';
import type { ConfigEntryView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigName, validateConfigVersion } from '../../src/services/config-values.js';

export default class ConfigRollback extends CcmCommand<typeof ConfigRollback> {
  static override summary = "Restore an older version's value: a new version, recorded as a rollback of that one.";
  static override description =
    'The old value is written again as a new version (history only grows), so a rollback can itself be rolled back.';
  static override examples = ['<%= config.bin %> config rollback payments.timeout --to-version 2'];
  static override args = { name: Args.string({ required: true, description: 'the entry name' }) };
  static override flags = {
    'to-version': Flags.integer({ summary: 'The version whose value to restore (see ccm config history).', required: true }),
    by: Flags.string({ summary: 'Who makes the change. Default: user@host.' }),
  };

  async run(): Promise<ConfigEntryView> {
    const name = validateConfigName(this.args.name);
    const toVersion = validateConfigVersion(this.flags['to-version'], '--to-version');
    const { client } = clientForCluster(this.clusterPaths());
    const e = await client.rollbackConfig(name, toVersion, { by: this.flags.by ?? defaultAuthor() });
    this.log(`${e.name} rolled back to version ${toVersion}: now ${e.text} (${e.type}), version ${e.version}`);
    return e;
  }
}
