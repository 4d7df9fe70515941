import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultHolder, durationFlag } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { exitCodeOf, runWithLease, type LeaseRunResult } from '../../src/client/lease-run.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource, validateTtlMs } from '../../src/core/commands.js';

export default class LeaseRun extends CcmCommand<typeof LeaseRun> {
  static override summary = 'Run a command while holding a resource: wait for it, keep it alive while the command runs, release it when it exits.';
  static override description =
    'As etcdctl lock and consul lock. The command gets CCM_LEASE_ID, CCM_FENCING_TOKEN and CCM_LEASE_RESOURCE in its environment ' +
    '(pass the token to what it writes: ccm kv put --fence <resource>:$CCM_FENCING_TOKEN). The moment the lease may be lost ' +
    '(no renewal confirmed within the TTL, counted from when the renewal was sent, less a drift margin) the command gets SIGTERM, ' +
    'then SIGKILL after --grace, and this exits 1 with "lease lost". Otherwise it exits with the command\'s exit code.';
  static override examples = ['<%= config.bin %> lease run db-migration --ttl 10s -- ./migrate.sh', '<%= config.bin %> lease run nightly-report -- sh -c \'echo "token $CCM_FENCING_TOKEN"\''];
  static override strict = false;
  static override args = { resource: Args.string({ required: true, description: 'the resource; then --, then the command and its arguments' }) };
  static override flags = {
    holder: Flags.string({ summary: 'Who holds it (shown to others). Default: host:pid.' }),
    ttl: Flags.string({ summary: 'Lease TTL: how long the resource stays held if this process stops renewing (1s to 7d).', default: '10s' }),
    timeout: Flags.string({ summary: 'How long to wait in line for the resource.', default: '10m' }),
    grace: Flags.string({ summary: 'After SIGTERM on a lost lease, how long before SIGKILL.', default: '5s' }),
  };

  async run(): Promise<LeaseRunResult> {
    const [resource, ...command] = this.positional;
    validateResource(resource);
    if (command.length === 0) throw new CcmError('invalid_argument', `lease run needs a command after --, e.g. ccm lease run ${resource} -- ./migrate.sh`);
    const ttlMs = validateTtlMs(durationFlag(this.flags.ttl, '--ttl'));
    const waitTimeoutMs = durationFlag(this.flags.timeout, '--timeout');
    const graceMs = durationFlag(this.flags.grace, '--grace');
    const { client } = clientForCluster(this.clusterPaths());
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const result = await runWithLease(
      client,
      { resource, holder: this.flags.holder ?? defaultHolder(), ttlMs, waitTimeoutMs, graceMs, command },
      {
        onGranted: (g) => process.stderr.write(`holding ${resource} (lease ${g.lease}, fencing token ${g.token}${g.waitedMs > 0 ? `, after ${(g.waitedMs / 1000).toFixed(1)}s in line` : ''}); running ${command[0]}\n`),
        onLost: (reason) => process.stderr.write(`${reason}: stopping ${command[0]} (SIGTERM, SIGKILL after ${this.flags.grace})\n`),
        onRetry: (reason) => process.stderr.write(`(renewal failed, retrying while the lease may still be valid: ${reason})\n`),
      },
      stop.signal,
    );
    if (result.leaseLost === null) process.stderr.write(`${command[0]} exited ${result.exitCode ?? result.signal}; ${result.released ? `released ${resource}` : `could not release ${resource} (its TTL will end it)`}\n`);
    process.exitCode = exitCodeOf(result);
    return result;
  }
}
