import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';

export default class KvCompact extends CcmCommand<typeof KvCompact> {
  static override summary = 'Forget the change history before a revision (watches and reads from older revisions get `compacted`).';
  static override description =
    'The keys themselves stay; what goes is the record of changes before the revision, which watches replay from. ' +
    'The leader also compacts on its own, keeping the last 10,000 revisions. A revision above the current one is refused; one at or below the ' +
    'current compaction point changes nothing.';
  static override examples = ['<%= config.bin %> kv compact 1200', '<%= config.bin %> kv compact 1200 --json'];
  static override args = { revision: Args.string({ required: true, description: 'the first revision whose history is kept' }) };
  static override flags = { timeout: Flags.string(REQUEST_TIMEOUT_FLAG) };

  async run(): Promise<{ compactRevision: number }> {
    const revision = Number(this.args.revision);
    if (!/^\d+$/.test(this.args.revision) || !Number.isSafeInteger(revision) || revision < 1) {
      throw new CcmError('invalid_argument', `revision must be a whole number >= 1 (got "${this.args.revision}")`);
    }
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs: requestTimeoutMs(this.flags.timeout) });
    const result = await client.compact(revision);
    const compactRevision = (result as { revision: number }).revision;
    this.log(`history kept from revision ${compactRevision}`);
    return { compactRevision };
  }
}
