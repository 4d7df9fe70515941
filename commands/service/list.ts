import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ServiceListView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { paint } from '../../src/cli/colour.js';

export default class ServiceList extends CcmCommand<typeof ServiceList> {
  static override summary = 'Every registered service, with how many instances are passing, warning and critical.';
  static override description =
    'One row per service: its instance count, and how many are passing, warning and critical.';
  static override examples = ['<%= config.bin %> service list', '<%= config.bin %> service list --json'];

  async run(): Promise<ServiceListView> {
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.listServices();
    if (r.services.length === 0) this.log('no services are registered');
    else this.log(renderTable(['SERVICE', 'INSTANCES', 'PASSING', 'WARNING', 'CRITICAL', 'TAGS'], r.services.map((s) => [s.service, s.instances, s.passing ? paint(String(s.passing), 'good') : 0, s.warning ? paint(String(s.warning), 'warn') : 0, s.critical ? paint(String(s.critical), 'bad') : 0, s.tags.join(',') || null])));
    return r;
  }
}
