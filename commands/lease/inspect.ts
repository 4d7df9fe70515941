import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { formatLockStats } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { LockStatsView, LockView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';
import { formatDuration } from '../../src/time/duration.js';

/** The lock (null holder when free) and its utilization as the leader observed it (null: never used since it started). */
export type LeaseInspectView = (LockView | { resource: string; holder: null; waiting: [] }) & { utilization: LockStatsView | null };

export default class LeaseInspect extends CcmCommand<typeof LeaseInspect> {
  static override summary = 'Who holds a resource, since when, with which token, how long is left, who waits; and its utilization (share held, grants, hold and wait times, refusals).';
  static override description =
    'The resource\'s lock as the core holds it: holder, lease, fencing token, when it was granted, when it expires unless renewed, and the queue of waiters in order.';
  static override examples = ['<%= config.bin %> lease inspect db-migration', '<%= config.bin %> lease inspect db-migration --json'];
  static override args = { resource: Args.string({ required: true, description: 'the resource' }) };

  async run(): Promise<LeaseInspectView> {
    const resource = validateResource(this.args.resource);
    const { client } = clientForCluster(this.clusterPaths());
    const lock = await client.lock(resource).catch((err: unknown) => {
      if (err instanceof CcmError && err.code === 'not_found') return null;
      throw err;
    });
    const stats = await client.lockStats(resource).catch(() => null);
    const utilization = stats?.resources[0] ?? null;
    if (lock === null && utilization === null) throw new CcmError('not_found', `${resource} is free (nobody holds it, and nobody has asked for it since the leader started)`);
    if (lock) {
      this.log(`${lock.resource}: held by ${lock.holder}`);
      this.log(`  lease ${lock.lease}, fencing token ${lock.token}, ttl ${formatDuration(lock.ttlMs)}, ${lock.ttlLeftMs === null ? 'time left unknown' : `${formatDuration(lock.ttlLeftMs)} left`}`);
      this.log(`  granted ${new Date(lock.grantedAtMs).toISOString()}, renewed ${lock.renewals} time(s)`);
      if (lock.waiting.length) this.log(`  waiting: ${lock.waiting.map((w) => w.holder).join(', ')}`);
    } else {
      this.log(`${resource}: free`);
    }
    if (utilization) for (const line of formatLockStats(utilization, stats!.node)) this.log(line);
    return { ...(lock ?? { resource, holder: null, waiting: [] }), utilization };
  }
}
