import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import type { KvDeleteResult } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { parseFence } from '../../src/core/commands.js';

export default class KvDel extends CcmCommand<typeof KvDel> {
  static override summary = 'Delete a key (or every key under a prefix).';
  static override description =
    'A linearizable delete through the core: one revision for the whole delete, however many keys it removes. --if-mod-rev makes it a compare-and-delete (nothing happens if the key has changed).';
  static override examples = ['<%= config.bin %> kv del /app/color', '<%= config.bin %> kv del /app/ --prefix', '<%= config.bin %> kv del /app/color --if-mod-rev 7'];
  static override aliases = ['kv:delete'];
  static override args = { key: Args.string({ required: true, description: 'the key, or the prefix with --prefix' }) };
  static override flags = {
    prefix: Flags.boolean({ summary: 'Every key starting with the argument.' }),
    'if-mod-rev': Flags.integer({ summary: 'Delete only if the key is at this mod revision.' }),
    fence: Flags.string({ summary: 'Delete only if no newer grant of the resource exists: <resource>:<token>.' }),
    timeout: Flags.string(REQUEST_TIMEOUT_FLAG),
  };

  async run(): Promise<KvDeleteResult> {
    const fence = this.flags.fence === undefined ? undefined : parseFence(this.flags.fence);
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs: requestTimeoutMs(this.flags.timeout) });
    const result = await client.delete(this.args.key, { prefix: this.flags.prefix, ifModRev: this.flags['if-mod-rev'], fence });
    this.log(`deleted ${result.deleted} key${result.deleted === 1 ? '' : 's'} (revision ${result.revision})`);
    return result;
  }
}
