import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { durationFlag } from '../../src/cli/lease-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';

export default class LeaseGrant extends CcmCommand<typeof LeaseGrant> {
  static override summary = 'Create a generic lease; attach keys to it with ccm kv put --lease <id>, and they vanish when it ends.';
  static override description =
    'A plain lease as etcd has: an id and a TTL. Keys put with --lease <id> are deleted when the lease expires or is revoked; keep it alive with ccm lease renew <id> --keepalive.';
  static override examples = ['<%= config.bin %> lease grant --ttl 30s', '<%= config.bin %> lease grant --ttl 1m --owner batch-42 --json'];
  static override flags = {
    ttl: Flags.string({ summary: 'Time to live without renewal (1s to 7d).', required: true }),
    owner: Flags.string({ summary: 'A label for who owns it.' }),
  };

  async run(): Promise<{ id: number; ttlMs: number; secret: string }> {
    const ttlMs = durationFlag(this.flags.ttl, '--ttl');
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.grantLease(ttlMs, this.flags.owner);
    this.log(`lease ${r.id} granted (ttl ${r.ttlMs / 1000}s)`);
    this.log(`  secret ${r.secret}  (shown once: ccm lease renew --lease ${r.id} --secret ... and ccm lease revoke ${r.id} --secret ... need it)`);
    return r;
  }
}
