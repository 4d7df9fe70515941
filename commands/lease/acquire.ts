import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { stderrProgress, withProgress } from '../../src/cli/progress.js';
import { defaultHolder, describeExpiry, describeWait, durationFlag } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';

export default class LeaseAcquire extends CcmCommand<typeof LeaseAcquire> {
  static override summary = 'Take exclusive, time-limited hold of a resource; prints the lease id, a fencing token and the expiry.';
  static override description =
    'If the resource is held, says by whom and exits 1 (or with --wait queues, first come first served, until granted). ' +
    'The holder must renew within the TTL (ccm lease renew) and should pass the fencing token to whatever it protects.';
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
    // Count the TTL from when we asked (or from when we were woken): a holder must assume the earliest expiry.
    const expiresAtMs = (r.waitedMs > 0 ? Date.now() : sentAt) + ttlMs;
    this.log(`granted ${r.resource} to ${r.holder}${r.waitedMs > 0 ? ` after waiting ${(r.waitedMs / 1000).toFixed(1)}s` : ''}`);
    this.log(`  lease ${r.lease}  fencing token ${r.token}  expires ${describeExpiry(expiresAtMs)} unless renewed`);
    return { ...r, expiresAtMs };
  }
}
