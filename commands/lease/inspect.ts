import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import type { LockView } from '../../src/client/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateResource } from '../../src/core/commands.js';
import { formatDuration } from '../../src/time/duration.js';

export default class LeaseInspect extends CcmCommand<typeof LeaseInspect> {
  static override summary = 'Who holds a resource, since when, with which token, how long is left, and who waits.';
  static override description =
    'The resource\'s lock as the core holds it: holder, lease, fencing token, when it was granted, when it expires unless renewed, and the queue of waiters in order.';
  static override examples = ['<%= config.bin %> lease inspect db-migration', '<%= config.bin %> lease inspect db-migration --json'];
  static override args = { resource: Args.string({ required: true, description: 'the resource' }) };

  async run(): Promise<LockView> {
    validateResource(this.args.resource);
    const { client } = clientForCluster(this.clusterPaths());
    const l = await client.lock(this.args.resource);
    this.log(`${l.resource}: held by ${l.holder}`);
    this.log(`  lease ${l.lease}, fencing token ${l.token}, ttl ${formatDuration(l.ttlMs)}, ${l.ttlLeftMs === null ? 'time left unknown' : `${formatDuration(l.ttlLeftMs)} left`}`);
    this.log(`  granted ${new Date(l.grantedAtMs).toISOString()}, renewed ${l.renewals} time(s)`);
    if (l.waiting.length) this.log(`  waiting: ${l.waiting.map((w) => w.holder).join(', ')}`);
    return l;
  }
}
