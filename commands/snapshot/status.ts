import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { paint } from '../../src/cli/colour.js';
import { formatBytes, snapshotLines } from '../../src/cli/snapshot-format.js';
import { snapshotStatus, type SnapshotSaveResult } from '../../src/cluster/snapshots.js';

export default class SnapshotStatus extends CcmCommand<typeof SnapshotStatus> {
  static override summary = 'Check a snapshot file (format and checksum) and show what it holds: revision, keys, leases, size.';
  static override description =
    'As etcdctl snapshot status. The whole file is read and its body hashed against the checksum in its header; a damaged or truncated file ' +
    'is refused with the reason and a non-zero exit. Needs no cluster.';
  static override examples = ['<%= config.bin %> snapshot status backup.snap', '<%= config.bin %> snapshot status backup.snap --json'];
  static override args = { file: Args.string({ required: true, description: 'the snapshot file' }) };

  async run(): Promise<SnapshotSaveResult> {
    const result = snapshotStatus(this.args.file);
    this.log(`${result.file}: ${paint('checksum ok', 'good')} (${formatBytes(result.fileBytes)})`);
    this.log(snapshotLines(result.header).join('\n'));
    return result;
  }
}
