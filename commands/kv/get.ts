import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import { renderTable } from '../../src/cli/output-table.js';
import type { RangeResult } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { CcmError } from '../../src/errors/ccm-error.js';

export default class KvGet extends CcmCommand<typeof KvGet> {
  static override summary = 'Read a key (or every key under a prefix). Linearizable by default; --serializable reads one replica.';
  static override description =
    'By default the read goes through the Raft leader with a ReadIndex, so it sees every write acknowledged before it started. --serializable reads one replica\'s state (faster, possibly stale). --rev reads the keys as they were at an older revision (from the change history the watches use, so not before the compaction point); --prev shows the value a key had just before its last change.';
  static override examples = ['<%= config.bin %> kv get /app/color', '<%= config.bin %> kv get /app/ --prefix', '<%= config.bin %> kv get /app/color --rev 12', '<%= config.bin %> kv get /app/color --prev', '<%= config.bin %> kv get /app/color --serializable --json'];
  static override args = { key: Args.string({ required: true, description: 'the key, or the prefix with --prefix' }) };
  static override flags = {
    prefix: Flags.boolean({ summary: 'Every key starting with the argument.' }),
    serializable: Flags.boolean({ summary: 'Read a replica\'s local state: faster, possibly stale.' }),
    limit: Flags.integer({ summary: 'At most this many keys.' }),
    rev: Flags.integer({ summary: 'Read as of this revision (not before the compaction point: ccm kv compact, or the leader\'s own every 10,000 revisions).' }),
    prev: Flags.boolean({ summary: 'Show the value the key had just before its last change (put or delete).' }),
    timeout: Flags.string(REQUEST_TIMEOUT_FLAG),
  };

  async run(): Promise<RangeResult & { value?: string }> {
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs: requestTimeoutMs(this.flags.timeout) });
    if (this.flags.rev !== undefined && this.flags.rev < 1) throw new CcmError('invalid_argument', `--rev must be a revision >= 1 (got ${this.flags.rev})`);
    if (this.flags.prev && (this.flags.prefix || this.flags.rev !== undefined)) throw new CcmError('invalid_argument', '--prev reads one key as it was before its last change: not with --prefix or --rev');
    const result = await client.get(this.args.key, { prefix: this.flags.prefix, serializable: this.flags.serializable, limit: this.flags.limit, rev: this.flags.rev, prev: this.flags.prev });
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
