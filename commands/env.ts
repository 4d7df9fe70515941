import { CcmCommand } from '../src/cli/ccm-command.js';
import { clusterEnv, shellExports } from '../src/cluster/cluster-env.js';
import { readClusterFile } from '../src/cluster/cluster-file.js';

export default class Env extends CcmCommand<typeof Env> {
  static override summary = 'Print the shell variables for using this cluster: eval "$(ccm env)".';
  static override description =
    'CCM_ENDPOINTS (every node\'s HTTP API), and for etcdctl: ETCDCTL_API=3 and ETCDCTL_ENDPOINTS (every node\'s etcd v3 API port). ' +
    'With --json, the same as an object.';
  static override examples = ['eval "$(<%= config.bin %> env)" && etcdctl put /greeting hello', '<%= config.bin %> env --name demo --json'];

  async run(): Promise<Record<string, string>> {
    const file = readClusterFile(this.clusterPaths());
    const env = clusterEnv(file);
    this.log(shellExports(env));
    if (env.ETCDCTL_ENDPOINTS === undefined) this.logToStderr(`# cluster "${file.name}" was made before ccm spoke etcd: its nodes have no etcd port`);
    return env;
  }
}
