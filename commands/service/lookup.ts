import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { INSTANCE_HEADERS, instanceRow } from '../../src/cli/service-format.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { ServiceLookupView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateServiceName } from '../../src/services/service-registration.js';

export default class ServiceLookup extends CcmCommand<typeof ServiceLookup> {
  static override summary = "A service's passing instances (the ones to send traffic to); --all shows every instance with its health.";
  static override description =
    'What a client would use for discovery: only instances whose check passes (or that have no check), with their addresses. --all adds the warning and critical ones, with their status.';
  static override examples = ['<%= config.bin %> service lookup payments', '<%= config.bin %> service lookup payments --all --json'];
  static override args = { service: Args.string({ required: true, description: 'the service name' }) };
  static override flags = { all: Flags.boolean({ summary: 'Every instance, whatever its health.' }) };

  async run(): Promise<ServiceLookupView> {
    const service = validateServiceName(this.args.service);
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.lookupService(service, { all: this.flags.all });
    const total = r.counts.passing + r.counts.warning + r.counts.critical;
    if (r.instances.length === 0) this.log(total === 0 ? `no instances of ${service} are registered` : `no passing instances of ${service} (${r.counts.warning} warning, ${r.counts.critical} critical; --all shows them)`);
    else this.log(renderTable(INSTANCE_HEADERS, r.instances.map(instanceRow)));
    return r;
  }
}
