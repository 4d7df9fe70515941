import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { LeaseView, LockView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { formatDuration } from '../../src/time/duration.js';

export default class LeaseList extends CcmCommand<typeof LeaseList> {
  static override summary = 'Every held resource (holder, fencing token, TTL left, renewals, waiters) and every generic lease.';
  static override description =
    'Two tables: resources held through the lease manager (holder, fencing token, TTL left, renewals, waiters), and every lease with its owner and the keys attached to it.';
  static override examples = ['<%= config.bin %> lease list', '<%= config.bin %> lease list --json'];

  async run(): Promise<{ locks: LockView[]; leases: LeaseView[] }> {
    const { client } = clientForCluster(this.clusterPaths());
    const [{ locks }, { leases }] = await Promise.all([client.locks(), client.leases()]);
    if (locks.length === 0) this.log('no resource is held');
    else
      this.log(
        renderTable(
          ['RESOURCE', 'HOLDER', 'TOKEN', 'LEASE', 'TTL', 'TTL LEFT', 'RENEWALS', 'WAITING'],
          locks.map((l) => [l.resource, l.holder, l.token, l.lease, formatDuration(l.ttlMs), l.ttlLeftMs === null ? '?' : formatDuration(l.ttlLeftMs), l.renewals, l.waiting.length || null]),
        ),
      );
    const lockLeases = new Set(locks.flatMap((l) => [l.lease, ...l.waiting.map((w) => w.lease)]));
    const generic = leases.filter((l) => !lockLeases.has(l.id));
    if (generic.length > 0) {
      this.log('\n' + renderTable(['LEASE', 'OWNER', 'TTL', 'TTL LEFT', 'RENEWALS', 'KEYS'], generic.map((l) => [l.id, l.owner || null, formatDuration(l.ttlMs), l.ttlLeftMs === null ? '?' : formatDuration(l.ttlLeftMs), l.renewals, l.keys.length])));
    }
    return { locks, leases };
  }
}
