import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { restoreSnapshot, type SnapshotRestoreResult } from '../../src/cluster/snapshots.js';
import { formatDuration } from '../../src/time/duration.js';

export default class SnapshotRestore extends CcmCommand<typeof SnapshotRestore> {
  static override summary = 'Start a new cluster from a snapshot file (refused over an existing cluster).';
  static override description =
    'As etcdctl snapshot restore: the file is verified first, then a new cluster is made under --name with fresh ports and a fresh Raft log, ' +
    'and each voter starts from the snapshot\'s state (keys, revisions, leases, which get a full TTL, and the kept history). Members start ' +
    'empty and use the core as usual. The cluster is started unless --no-start (then ccm up starts it). A cluster already under the name is ' +
    'never touched: choose another name or remove it first.';
  static override examples = [
    '<%= config.bin %> snapshot restore backup.snap --name restored',
    '<%= config.bin %> snapshot restore backup.snap --name restored --nodes 5 --core 3',
    '<%= config.bin %> snapshot restore backup.snap --name later --no-start',
  ];
  static override args = { file: Args.string({ required: true, description: 'the snapshot file' }) };
  static override flags = {
    nodes: Flags.integer({ summary: 'Nodes of the new cluster (1-100, default 3).' }),
    core: Flags.integer({ summary: 'Raft voters among them (odd, 1-7; default 3, or 1 below 3 nodes).' }),
    start: Flags.boolean({ summary: 'Start the new cluster (--no-start only creates it).', default: true, allowNo: true }),
  };

  async run(): Promise<SnapshotRestoreResult> {
    const paths = this.clusterPaths();
    const result = await restoreSnapshot(paths, this.args.file, { nodes: this.flags.nodes, core: this.flags.core, start: this.flags.start });
    this.log(`cluster "${result.cluster}" restored from a snapshot of "${result.from.cluster}" at revision ${result.from.revision} (${result.from.keys} keys, ${result.from.leases} leases)`);
    if (result.up) this.log(`${result.up.file.nodes.length} nodes ready in ${formatDuration(result.up.elapsedMs)}`);
    else this.log(`not started; start it with: ccm up --name ${result.cluster}`);
    return result;
  }
}
