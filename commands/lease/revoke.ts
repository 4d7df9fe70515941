import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { CcmError } from '../../src/errors/ccm-error.js';

export default class LeaseRevoke extends CcmCommand<typeof LeaseRevoke> {
  static override summary = 'End a lease now: every key attached to it is deleted, and a resource it holds passes on.';
  static override description = "Needs the lease's secret; --force ends any lease without it, with the cluster's admin token (as its owner has).";
  static override examples = ['<%= config.bin %> lease revoke 42 --secret <secret>', '<%= config.bin %> lease revoke 42 --force'];
  static override args = { id: Args.string({ required: true, description: 'the lease id' }) };
  static override flags = {
    secret: Flags.string({ ...secretFlagOptions, exclusive: ['force'] }),
    force: Flags.boolean({ summary: 'End it without its secret (an administrator ending a stuck holder; needs the admin token).' }),
  };

  async run(): Promise<unknown> {
    const id = Number(this.args.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw new CcmError('invalid_argument', `lease id "${this.args.id}" is not a positive integer`);
    if (this.flags.secret === undefined && !this.flags.force) throw new CcmError('invalid_argument', 'give the lease\'s --secret (printed by its grant), or --force as the cluster\'s administrator');
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.revokeLease(id, this.flags.force ? { force: true } : { secret: this.flags.secret! });
    this.log(`revoked lease ${r.id} (${r.deletedKeys} key(s) deleted)`);
    return r;
  }
}
