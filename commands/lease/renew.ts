import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { LeaseKeeper } from '../../src/client/lease-keeper.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';

export default class LeaseRenew extends CcmCommand<typeof LeaseRenew> {
  static override summary = "Renew a lease (keepalive): its TTL starts again. With a resource, only if that lease holds it.";
  static override description =
    'Needs the secret the grant printed. With --keepalive it renews every TTL/3 until Ctrl-C, and exits 1 with "lease lost" the moment ' +
    'no renewal has been confirmed within the TTL (counted from the send time of the last confirmed one, less a drift margin): ' +
    'from then on another holder may have the resource.';
  static override examples = ['<%= config.bin %> lease renew db-migration --lease 42 --secret <secret>', '<%= config.bin %> lease renew db-migration --lease 42 --secret <secret> --keepalive'];
  static override args = { resource: Args.string({ required: false, description: 'the resource the lease holds (omit for a generic lease)' }) };
  static override flags = {
    lease: Flags.integer({ summary: 'The lease id (from acquire or grant).', required: true }),
    secret: Flags.string({ ...secretFlagOptions, required: true }),
    keepalive: Flags.boolean({ summary: 'Keep renewing (every TTL/3) until Ctrl-C; exit 1 as soon as the lease may be lost.' }),
  };

  async run(): Promise<unknown> {
    if (this.args.resource !== undefined) validateResource(this.args.resource);
    const { lease, secret } = this.flags;
    const { client } = clientForCluster(this.clusterPaths());
    const resource = this.args.resource;
    const renew = (timeoutMs?: number) => (resource !== undefined ? client.renewLock(resource, lease, secret, { timeoutMs }) : client.renewLease(lease, secret, { timeoutMs }));
    const sentAt = performance.now();
    const first = await renew();
    this.log(`renewed lease ${first.lease} (ttl ${first.ttlMs / 1000}s, renewal #${first.renewals})`);
    if (!this.flags.keepalive) return first;
    let renewals = first.renewals;
    const keeper = new LeaseKeeper({
      ttlMs: first.ttlMs,
      validFromMs: sentAt,
      renew: async (timeoutMs) => {
        renewals = (await renew(timeoutMs)).renewals;
        this.log(`renewed lease ${first.lease} (renewal #${renewals})`);
      },
      onRetry: (reason) => this.warn(`renewal failed, retrying while the lease may still be valid: ${reason}`),
    });
    let stop: () => void = () => undefined;
    const stopped = new Promise<null>((resolve) => (stop = () => resolve(null)));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const lost = await Promise.race([keeper.lost, stopped]);
    keeper.stop();
    if (lost !== null) throw new CcmError('failed_precondition', lost);
    return { lease: first.lease, ttlMs: first.ttlMs, renewals };
  }
}
