import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { describeKind, formatTime, shortText } from '../../src/cli/config-format.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ConfigHistoryView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigName } from '../../src/services/config-values.js';

export default class ConfigHistory extends CcmCommand<typeof ConfigHistory> {
  static override summary = 'Every version of a config entry, oldest first, with what made it, who and when (kept forever).';
  static override description =
    'Every version ever written, including deletes and rollbacks, with the revision, who made the change and when. History is never compacted away.';
  static override examples = ['<%= config.bin %> config history payments.timeout', '<%= config.bin %> config history payments.timeout --json'];
  static override args = { name: Args.string({ required: true, description: 'the entry name' }) };

  async run(): Promise<ConfigHistoryView> {
    const name = validateConfigName(this.args.name);
    const { client } = clientForCluster(this.clusterPaths());
    const h = await client.configHistory(name);
    this.log(
      renderTable(
        ['VERSION', 'CHANGE', 'TYPE', 'VALUE', 'REVISION', 'AT', 'BY'],
        h.versions.map((v) => [v.version, describeKind(v), v.type, shortText(v), v.revision, formatTime(v.updatedAtMs), v.updatedBy]),
      ),
    );
    return h;
  }
}
