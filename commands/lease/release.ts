import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';

export default class LeaseRelease extends CcmCommand<typeof LeaseRelease> {
  static override summary = 'Give up a resource (or leave its queue); the next waiter, if any, gets it at once.';
  static override description =
    'Only the lease that holds the resource (or waits for it) can release it. The hand-over to the next waiter happens in the same step, with a new, higher fencing token.';
  static override examples = ['<%= config.bin %> lease release db-migration --lease 42'];
  static override args = { resource: Args.string({ required: true, description: 'the resource' }) };
  static override flags = {
    lease: Flags.integer({ summary: 'The lease that holds it.', required: true }),
    secret: Flags.string({ ...secretFlagOptions, required: true }),
  };

  async run(): Promise<unknown> {
    validateResource(this.args.resource);
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.release(this.args.resource, this.flags.lease, this.flags.secret);
    this.log(`released ${r.resource}${r.nextHolder ? `; now held by ${r.nextHolder}` : ''}`);
    return r;
  }
}
