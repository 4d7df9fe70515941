import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { paintWord } from '../../src/cli/colour.js';
import type { ServiceInstanceView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateInstanceId } from '../../src/services/service-registration.js';
import { formatDuration } from '../../src/time/duration.js';

export default class ServiceInfo extends CcmCommand<typeof ServiceInfo> {
  static override summary = 'One instance in full: address, lease, check, health and its last check output.';
  static override description =
    'Everything the registry holds for one instance: service, address and port, tags, lease and TTL, its check (kind, target, interval) and which node runs it, the health status and the last check\'s output.';
  static override examples = ['<%= config.bin %> service info payments-1', '<%= config.bin %> service info payments-1 --json'];
  static override args = { id: Args.string({ required: true, description: 'the instance id' }) };

  async run(): Promise<ServiceInstanceView> {
    const { client } = clientForCluster(this.clusterPaths());
    const i = await client.serviceInstance(validateInstanceId(this.args.id));
    this.log(`${i.service}/${i.id}  ${i.address}:${i.port}  ${paintWord(i.status)}${i.tags.length ? `  tags ${i.tags.join(',')}` : ''}`);
    this.log(`  lease ${i.lease} (ttl ${formatDuration(i.ttlMs)}), registered by ${i.registeredBy} through ${i.node === '' ? '?' : i.node}`);
    if (i.check) this.log(`  ${i.check.kind} check ${i.check.target} every ${formatDuration(i.check.intervalMs)} (timeout ${formatDuration(i.check.timeoutMs)}), run by ${i.node}; deregistered after ${formatDuration(i.check.deregisterAfterMs)} critical`);
    this.log(`  ${i.output}`);
    return i;
  }
}
