import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { formatBytes, snapshotLines } from '../../src/cli/snapshot-format.js';
import { saveSnapshot, type SnapshotSaveResult } from '../../src/cluster/snapshots.js';

export default class SnapshotSave extends CcmCommand<typeof SnapshotSave> {
  static override summary = 'Save a consistent snapshot of the core (every key, lease and the kept history) to a file, with its revision and a checksum.';
  static override description =
    'As etcdctl snapshot save: the Raft leader confirms it still leads (a ReadIndex round), so the snapshot holds every write acknowledged ' +
    'before the command started, and dumps its applied state at one revision. The file is written atomically, then read back and verified ' +
    'before the command succeeds. Restore it with ccm snapshot restore.';
  static override examples = ['<%= config.bin %> snapshot save backup.snap', '<%= config.bin %> snapshot save /tmp/before-upgrade.snap --name demo --json'];
  static override args = { file: Args.string({ required: true, description: 'where to write the snapshot' }) };

  async run(): Promise<SnapshotSaveResult> {
    const result = await saveSnapshot(this.clusterPaths(), this.args.file);
    this.log(`saved ${result.file} (${formatBytes(result.fileBytes)})`);
    this.log(snapshotLines(result.header).join('\n'));
    return result;
  }
}
