import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { formatTime, shortText } from '../../src/cli/config-format.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ConfigListView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigPrefix } from '../../src/services/config-values.js';

export default class ConfigList extends CcmCommand<typeof ConfigList> {
  static override summary = 'List config entries (current versions), optionally those whose name starts with a prefix.';
  static override description =
    'Each entry\'s name, type, current value (shortened), version and who set it last.';
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --prefix payments.'];
  static override flags = { prefix: Flags.string({ summary: 'Only names starting with this.' }) };

  async run(): Promise<ConfigListView> {
    const prefix = validateConfigPrefix(this.flags.prefix ?? '');
    const { client } = clientForCluster(this.clusterPaths());
    const list = await client.listConfig(prefix);
    if (list.entries.length === 0) this.log(prefix ? `no config entries under ${prefix}` : 'no config entries');
    else
      this.log(
        renderTable(
          ['NAME', 'TYPE', 'VALUE', 'VERSION', 'UPDATED', 'BY'],
          list.entries.map((e) => [e.name, e.type, shortText(e), e.version, formatTime(e.updatedAtMs), e.updatedBy]),
        ),
      );
    return list;
  }
}
