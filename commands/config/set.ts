import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultAuthor } from '../../src/cli/config-format.js';
import type { ConfigEntryView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { CONFIG_TYPES, parseConfigText, validateConfigName, validateConfigType } from '../../src/services/config-values.js';

export default class ConfigSet extends CcmCommand<typeof ConfigSet> {
  static override summary = 'Set a config value: a new version, validated against its type (kept from the last version unless --type says otherwise).';
  static override description = `Types: ${CONFIG_TYPES.join(', ')} (default string for a new entry). Every version is kept (ccm config history) with who set it and when.`;
  static override examples = [
    '<%= config.bin %> config set payments.timeout 30s --type duration',
    '<%= config.bin %> config set app.retries 5 --type int',
    '<%= config.bin %> config set app.flags \'{"beta":true}\' --type json',
    '<%= config.bin %> config set app.retries 6 --if-version 1',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'the entry name (letters, digits and . _ - :)' }),
    value: Args.string({ required: true, description: 'the value, as text' }),
  };
  static override flags = {
    type: Flags.string({ summary: 'The value type.', options: [...CONFIG_TYPES] }),
    by: Flags.string({ summary: 'Who makes the change (recorded in the history). Default: user@host.' }),
    'if-version': Flags.integer({ summary: 'Only if the entry is at this version now (compare-and-set).' }),
  };

  async run(): Promise<ConfigEntryView> {
    const name = validateConfigName(this.args.name);
    // Check what can be checked here; the node checks again against the entry's current type.
    if (this.flags.type) parseConfigText(name, validateConfigType(this.flags.type), this.args.value);
    const { client } = clientForCluster(this.clusterPaths());
    const e = await client.setConfig(name, this.args.value, { type: this.flags.type as ConfigEntryView['type'] | undefined, by: this.flags.by ?? defaultAuthor(), ifVersion: this.flags['if-version'] });
    this.log(`${e.name} = ${e.text} (${e.type}), version ${e.version} at revision ${e.revision}`);
    return e;
  }
}
