import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultAuthor } from '../../src/cli/config-format.js';
import type { ConfigEntryView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigName } from '../../src/services/config-values.js';

export default class ConfigDelete extends CcmCommand<typeof ConfigDelete> {
  static override summary = 'Delete a config entry: a new version that is a tombstone (its history stays; a later set goes on numbering).';
  static override description =
    'The entry disappears from get and list, but its history keeps every version, and a later set starts at the next version number. --if-version makes it a compare-and-delete.';
  static override examples = ['<%= config.bin %> config delete payments.timeout', '<%= config.bin %> config delete payments.timeout --if-version 3'];
  static override args = { name: Args.string({ required: true, description: 'the entry name' }) };
  static override flags = {
    by: Flags.string({ summary: 'Who makes the change. Default: user@host.' }),
    'if-version': Flags.integer({ summary: 'Only if the entry is at this version now.' }),
  };

  async run(): Promise<ConfigEntryView> {
    const name = validateConfigName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const e = await client.deleteConfig(name, { by: this.flags.by ?? defaultAuthor(), ifVersion: this.flags['if-version'] });
    this.log(`${e.name} deleted (version ${e.version})`);
    return e;
  }
}
