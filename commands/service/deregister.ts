import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateInstanceId } from '../../src/services/service-registration.js';

export default class ServiceDeregister extends CcmCommand<typeof ServiceDeregister> {
  static override summary = 'Deregister an instance (its lease is revoked).';
  static override description =
    'The instance\'s lease is revoked, so its record disappears in one revision and watchers see a deregistration at once.';
  static override examples = ['<%= config.bin %> service deregister payments-1'];
  static override args = { id: Args.string({ required: true, description: 'the instance id' }) };

  async run(): Promise<{ service: string; id: string; lease: number; revision: number }> {
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.deregisterService(validateInstanceId(this.args.id));
    this.log(`deregistered ${r.service}/${r.id} (lease ${r.lease} revoked)`);
    return r;
  }
}
