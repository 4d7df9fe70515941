import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';
import { CcmError } from '../../src/client/api-errors.js';

export default class LeaseRenew extends CcmCommand<typeof LeaseRenew> {
  static override summary = "Renew a lease (keepalive): its TTL starts again. With a resource, only if that lease holds it.";
  static override description =
    'The TTL counts again from when the core applies the renewal. --keepalive renews at a third of the TTL until Ctrl-C, and exits non-zero as soon as the lease is lost.';
  static override examples = ['<%= config.bin %> lease renew db-migration --lease 42', '<%= config.bin %> lease renew db-migration --lease 42 --keepalive'];
  static override args = { resource: Args.string({ required: false, description: 'the resource the lease holds (omit for a generic lease)' }) };
  static override flags = {
    lease: Flags.integer({ summary: 'The lease id (from acquire or grant).', required: true }),
    keepalive: Flags.boolean({ summary: 'Keep renewing (every TTL/3) until Ctrl-C or until the lease is lost.' }),
  };

  async run(): Promise<unknown> {
    if (this.args.resource !== undefined) validateResource(this.args.resource);
    const { client } = clientForCluster(this.clusterPaths());
    const renew = () => (this.args.resource !== undefined ? client.renewLock(this.args.resource, this.flags.lease) : client.renewLease(this.flags.lease));
    const first = await renew();
    this.log(`renewed lease ${first.lease} (ttl ${first.ttlMs / 1000}s, renewal #${first.renewals})`);
    if (!this.flags.keepalive) return first;
    let isStopped = false;
    process.once('SIGINT', () => (isStopped = true));
    let renewals = first.renewals;
    while (!isStopped) {
      const until = Date.now() + first.ttlMs / 3;
      while (!isStopped && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (isStopped) break;
      try {
        renewals = (await renew()).renewals;
        this.log(`renewed lease ${first.lease} (renewal #${renewals})`);
      } catch (err) {
        if (err instanceof CcmError && (err.code === 'not_found' || err.code === 'failed_precondition')) throw new CcmError(err.code, `lease lost: ${err.message}`);
        this.warn(`renewal failed, retrying: ${(err as Error).message}`);
      }
    }
    return { lease: first.lease, ttlMs: first.ttlMs, renewals };
  }
}
