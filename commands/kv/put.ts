import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import type { KvPutResult } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { parseFence } from '../../src/core/commands.js';

export default class KvPut extends CcmCommand<typeof KvPut> {
  static override summary = 'Write a key (linearizable, durable on a quorum before it returns); prints the new revision.';
  static override description =
    'The write is committed on a quorum of voters, fsync\'d, and applied before it returns its revision. --if-mod-rev, --if-version, --if-value and --if-absent turn it into a compare-and-set: nothing is written if the key does not match. --lease attaches it to a lease, which deletes it when it ends.';
  static override examples = ['<%= config.bin %> kv put /app/color blue', '<%= config.bin %> kv put /app/color red --if-mod-rev 7'];
  static override args = {
    key: Args.string({ required: true, description: 'the key' }),
    value: Args.string({ required: true, description: 'the value (text)' }),
  };
  static override flags = {
    lease: Flags.integer({ summary: 'Attach the key to a lease: it is deleted when the lease ends.' }),
    'if-mod-rev': Flags.integer({ summary: 'Compare-and-set: write only if the key is at this mod revision.' }),
    'if-version': Flags.integer({ summary: 'Write only if the key is at this version.' }),
    'if-value': Flags.string({ summary: 'Write only if the key currently has this value.' }),
    'if-absent': Flags.boolean({ summary: 'Write only if the key does not exist.' }),
    fence: Flags.string({ summary: 'Write only if no newer grant of the resource exists: <resource>:<token> (else stale_token, nothing written).' }),
    timeout: Flags.string(REQUEST_TIMEOUT_FLAG),
  };

  async run(): Promise<KvPutResult> {
    const fence = this.flags.fence === undefined ? undefined : parseFence(this.flags.fence);
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs: requestTimeoutMs(this.flags.timeout) });
    const result = await client.put(this.args.key, this.args.value, {
      lease: this.flags.lease,
      ifModRev: this.flags['if-mod-rev'],
      ifVersion: this.flags['if-version'],
      ifValue: this.flags['if-value'],
      ifAbsent: this.flags['if-absent'] || undefined,
      fence,
    });
    this.log(`revision ${result.revision}`);
    return result;
  }
}
