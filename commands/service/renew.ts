import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { secretFlagOptions } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateInstanceId } from '../../src/services/service-registration.js';

export default class ServiceRenew extends CcmCommand<typeof ServiceRenew> {
  static override summary = "Renew an instance's lease (its TTL starts again); --keepalive keeps doing it until Ctrl-C.";
  static override description =
    'An instance without a check stays registered only while its lease is renewed; --keepalive renews at a third of the TTL and exits non-zero if the lease is lost. Needs the secret its registration printed.';
  static override examples = ['<%= config.bin %> service renew payments-1 --secret <secret>', '<%= config.bin %> service renew payments-1 --secret <secret> --keepalive'];
  static override args = { id: Args.string({ required: true, description: 'the instance id' }) };
  static override flags = {
    secret: Flags.string({ ...secretFlagOptions, required: true }),
    keepalive: Flags.boolean({ summary: 'Keep renewing (every TTL/3) until Ctrl-C or until the instance is gone.' }),
  };

  async run(): Promise<{ service: string; id: string; lease: number; ttlMs: number; renewals: number }> {
    const id = validateInstanceId(this.args.id);
    const { client } = clientForCluster(this.clusterPaths());
    const secret = this.flags.secret;
    let last = await client.renewService(id, secret);
    this.log(`renewed ${last.service}/${last.id} (lease ${last.lease}, ttl ${last.ttlMs / 1000}s, renewal #${last.renewals})`);
    if (!this.flags.keepalive) return last;
    let isStopped = false;
    process.once('SIGINT', () => (isStopped = true));
    process.once('SIGTERM', () => (isStopped = true));
    while (!isStopped) {
      const until = Date.now() + last.ttlMs / 3;
      while (!isStopped && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (isStopped) break;
      try {
        last = await client.renewService(id, secret);
        this.log(`renewed ${last.service}/${last.id} (renewal #${last.renewals})`);
      } catch (err) {
        if (err instanceof CcmError && err.code === 'not_found') throw new CcmError('not_found', `${id} is no longer registered: ${err.message}`);
        this.warn(`renewal failed, retrying: ${(err as Error).message}`);
      }
    }
    return last;
  }
}
