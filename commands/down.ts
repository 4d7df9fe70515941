import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { stderrProgress } from '../src/cli/progress.js';
import { downCluster, type DownResult } from '../src/cluster/launcher.js';
import { isEtcdMemberId } from '../src/cluster/etcd-program.js';

export default class Down extends CcmCommand<typeof Down> {
  static override usesEndpoints = false;
  static override summary = 'Stop every node of the cluster (SIGTERM, then SIGKILL after a grace period).';
  static override description =
    'Stops the supervisor first (so it restarts nothing), then every node (and then the local etcd members of ccm up --core etcd): SIGTERM, which lets a node leave gossip gracefully and close its database, and SIGKILL after a grace period. The data stays: ccm up starts the same cluster again. --purge also deletes the cluster\'s directory.';
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --name demo', '<%= config.bin %> down --purge'];
  static override flags = {
    purge: Flags.boolean({ summary: 'Also delete the cluster directory (data, logs, cluster.json).', default: false }),
  };

  async run(): Promise<DownResult & { cluster: string }> {
    const paths = this.clusterPaths();
    const progress = stderrProgress();
    let result: DownResult;
    try {
      result = await downCluster(paths, { purge: this.flags.purge, onProgress: (n, total) => progress.update(`stopping: ${n} of ${total} node${total === 1 ? '' : 's'} stopped`) });
    } finally {
      progress.done();
    }
    const nodes = result.stopped.filter((id) => !isEtcdMemberId(id));
    const members = result.stopped.filter(isEtcdMemberId);
    this.log(
      `stopped ${nodes.length} node${nodes.length === 1 ? '' : 's'}${nodes.length ? ` (${nodes.join(', ')})` : ''}` +
        (members.length ? ` and ${members.length} etcd member${members.length === 1 ? '' : 's'} (${members.join(', ')})` : ''),
    );
    if (result.purged) this.log(`removed ${paths.dir}`);
    return { cluster: paths.name, ...result };
  }
}
