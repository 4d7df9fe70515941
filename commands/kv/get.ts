import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { RangeResult } from '../../src/client/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';

export default class KvGet extends CcmCommand<typeof KvGet> {
  static override summary = 'Read a key (or every key under a prefix). Linearizable by default; --serializable reads one replica.';
  static override description =
    'By default the read goes through the Raft leader with a ReadIndex, so it sees every write acknowledged before it started. --serializable reads one replica\'s state (faster, possibly stale).';
  static override examples = ['<%= config.bin %> kv get /app/color', '<%= config.bin %> kv get /app/ --prefix', '<%= config.bin %> kv get /app/color --serializable --json'];
  static override args = { key: Args.string({ required: true, description: 'the key, or the prefix with --prefix' }) };
  static override flags = {
    prefix: Flags.boolean({ summary: 'Every key starting with the argument.' }),
    serializable: Flags.boolean({ summary: 'Read a replica\'s local state: faster, possibly stale.' }),
    limit: Flags.integer({ summary: 'At most this many keys.' }),
    timeout: Flags.string(REQUEST_TIMEOUT_FLAG),
  };

  async run(): Promise<RangeResult & { value?: string }> {
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs: requestTimeoutMs(this.flags.timeout) });
    const result = await client.get(this.args.key, { prefix: this.flags.prefix, serializable: this.flags.serializable, limit: this.flags.limit });
    if (!this.flags.prefix) {
      const kv = result.kvs[0];
      this.log(kv.value);
      return { ...result, value: kv.value };
    }
    if (result.kvs.length === 0) this.log(`no keys under ${this.args.key} (revision ${result.revision})`);
    else
      this.log(
        renderTable(
          ['KEY', 'VALUE', 'CREATE', 'MOD', 'VERSION', 'LEASE'],
          result.kvs.map((kv) => [kv.key, kv.value.length > 60 ? `${kv.value.slice(0, 57)}...` : kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease || null]),
        ),
      );
    return result;
  }
}
