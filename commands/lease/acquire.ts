import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { stderrProgress, withProgress } from '../../src/cli/progress.js';
import { defaultHolder, describeExpiry, describeWait, durationFlag } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { confirmHandOver, driftMarginFor } from '../../src/client/lease-keeper.js';
import { validateResource } from '../../src/core/commands.js';

export default class LeaseAcquire extends CcmCommand<typeof LeaseAcquire> {
  static override summary = 'Take exclusive, time-limited hold of a resource; prints the lease id, a fencing token and the expiry.';
  static override description =
    'If the resource is held, says by whom and exits 1 (or with --wait queues, first come first served, until granted). ' +
    'The holder must renew within the TTL (ccm lease renew --secret) and should pass the fencing token to whatever it protects ' +
    '(ccm kv put --fence <resource>:<token>). The secret is printed once: renewing or releasing needs it. The expiry is counted ' +
    'from when the request was sent, less a drift margin (after waiting in line, from a renewal sent once granted).';
  static override examples = ['<%= config.bin %> lease acquire db-migration --holder worker-1 --ttl 10s', '<%= config.bin %> lease acquire db-migration --holder worker-2 --ttl 10s --wait --timeout 30s'];
  static override args = { resource: Args.string({ required: true, description: 'the resource name' }) };
  static override flags = {
    holder: Flags.string({ summary: 'Who holds it (shown to others). Default: host:pid.' }),
    ttl: Flags.string({ summary: 'How long the hold lasts without renewal (1s to 7d).', default: '10s' }),
    wait: Flags.boolean({ summary: 'Queue until granted instead of failing when held.' }),
    timeout: Flags.string({ summary: 'With --wait: give up (and leave the queue) after this long.', default: '30s' }),
  };

  async run(): Promise<unknown> {
    validateResource(this.args.resource);
    const ttlMs = durationFlag(this.flags.ttl, '--ttl');
    const waitTimeoutMs = durationFlag(this.flags.timeout, '--timeout');
    const { client } = clientForCluster(this.clusterPaths());
    const sentAt = Date.now();
    const holder = this.flags.holder ?? defaultHolder();
    const acquiring = client.acquire(this.args.resource, { holder, ttlMs, wait: this.flags.wait, waitTimeoutMs });
    const r = this.flags.wait ? await withProgress(stderrProgress(), acquiring, () => describeWait(client, this.args.resource, holder, sentAt)) : await acquiring;
    // Count the TTL from when we asked, less the drift margin; after a wait in line, from a renewal sent now.
    const validFrom = r.waitedMs > 0 ? Date.now() - performance.now() + (await confirmHandOver((t) => client.renewLock(r.resource, r.lease, r.secret, { timeoutMs: t }), ttlMs)) : sentAt;
    const expiresAtMs = validFrom + ttlMs - driftMarginFor(ttlMs);
    this.log(`granted ${r.resource} to ${r.holder}${r.waitedMs > 0 ? ` after waiting ${(r.waitedMs / 1000).toFixed(1)}s` : ''}`);
    this.log(`  lease ${r.lease}  fencing token ${r.token}  expires ${describeExpiry(expiresAtMs)} unless renewed`);
    this.log(`  secret ${r.secret}  (shown once: renew and release need it, e.g. ccm lease release ${r.resource} --lease ${r.lease} --secret ${r.secret})`);
    return { ...r, expiresAtMs };
  }
}
