import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import type { ConfigEntryView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigName } from '../../src/services/config-values.js';

export default class ConfigGet extends CcmCommand<typeof ConfigGet> {
  static override summary = "Print a config value (--json: {name, value, type, version, ...}, where value is typed: a number for an int).";
  static override description =
    'A linearizable read through the core by default. --local reads the node\'s own mirror of the config (what a service on that node would see, possibly behind), and --node picks that node.';
  static override examples = ['<%= config.bin %> config get payments.timeout', '<%= config.bin %> config get payments.timeout --json', '<%= config.bin %> config get payments.timeout --local --node n4'];
  static override args = { name: Args.string({ required: true, description: 'the entry name' }) };
  static override flags = {
    local: Flags.boolean({ summary: "Read the answering node's own copy (no trip to the leader; may be behind)." }),
    node: Flags.string({ summary: 'Ask this node.' }),
  };

  async run(): Promise<ConfigEntryView> {
    const name = validateConfigName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const e = await client.getConfig(name, { local: this.flags.local, node: this.flags.node });
    this.log(e.text);
    return e;
  }
}
