import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import type { ConfigExportDocument } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateConfigPrefix } from '../../src/services/config-values.js';

export default class ConfigExport extends CcmCommand<typeof ConfigExport> {
  static override summary = 'Print every config entry (or those under a prefix) as a JSON document that ccm config import takes back.';
  static override description =
    'Current values with their types, as a JSON document; import it into this or another cluster with ccm config import.';
  static override examples = ['<%= config.bin %> config export > settings.json', '<%= config.bin %> config export --prefix payments.'];
  static override flags = { prefix: Flags.string({ summary: 'Only names starting with this.' }) };

  async run(): Promise<ConfigExportDocument> {
    const prefix = validateConfigPrefix(this.flags.prefix ?? '');
    const { client } = clientForCluster(this.clusterPaths());
    const doc = await client.exportConfig(prefix);
    this.log(JSON.stringify(doc, null, 2));
    return doc;
  }
}
