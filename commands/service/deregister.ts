import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateInstanceId } from '../../src/services/service-registration.js';

export default class ServiceDeregister extends CcmCommand<typeof ServiceDeregister> {
  static override summary = 'Deregister an instance (its lease is revoked).';
  static override description =
    'The instance\'s lease is revoked, so its record disappears in one revision and watchers see a deregistration at once. Needs the secret its registration printed; --force (admin token) without it.';
  static override examples = ['<%= config.bin %> service deregister payments-1 --secret <secret>', '<%= config.bin %> service deregister payments-1 --force'];
  static override args = { id: Args.string({ required: true, description: 'the instance id' }) };
  static override flags = {
    secret: Flags.string({ ...secretFlagOptions, exclusive: ['force'] }),
    force: Flags.boolean({ summary: 'Deregister without the secret (revokes its lease with the admin token).' }),
  };

  async run(): Promise<{ service: string; id: string; lease: number; revision: number }> {
    const id = validateInstanceId(this.args.id);
    if (this.flags.secret === undefined && !this.flags.force) throw new CcmError('invalid_argument', "give the instance's --secret (printed when it registered), or --force as the cluster's administrator");
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.deregisterService(id, this.flags.force ? { force: true } : { secret: this.flags.secret! });
    this.log(`deregistered ${r.service}/${r.id} (lease ${r.lease} revoked)`);
    return r;
  }
}
