import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { CcmError } from '../../src/client/api-errors.js';

export default class LeaseRevoke extends CcmCommand<typeof LeaseRevoke> {
  static override summary = 'End a lease now: every key attached to it is deleted, and a resource it holds passes on.';
  static override description =
    'Ends the lease at once instead of waiting for its TTL: attached keys are deleted in the same revision and any resource it holds passes to the next waiter.';
  static override examples = ['<%= config.bin %> lease revoke 42'];
  static override args = { id: Args.string({ required: true, description: 'the lease id' }) };

  async run(): Promise<unknown> {
    const id = Number(this.args.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw new CcmError('invalid_argument', `lease id "${this.args.id}" is not a positive integer`);
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.revokeLease(id);
    this.log(`revoked lease ${r.id} (${r.deletedKeys} key(s) deleted)`);
    return r;
  }
}
