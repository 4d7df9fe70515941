import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { clusterEnvironment, type ClusterEnvironment } from '../src/cluster/cluster-client.js';

export default class Env extends CcmCommand<typeof Env> {
  static override usesEndpoints = false;
  static override summary = 'Print the variables a script needs for this cluster: eval "$(ccm env)".';
  static override description =
    'CCM_TOKEN (the client token; --admin for the admin token) and CCM_ENDPOINTS (every node\'s API URL), plus ' +
    'CCM_CACERT when the cluster serves HTTPS, and for etcdctl ETCDCTL_API=3, ETCDCTL_ENDPOINTS (every node\'s etcd v3 API port) and ETCDCTL_USER (ccm:<the same token>), as shell exports (docker-machine env style). The ccm CLI itself needs none of ' +
    'them on this host: it reads the cluster directory. On another host, CCM_TOKEN (or --token) authenticates it.';
  static override examples = ['eval "$(<%= config.bin %> env)" && etcdctl put /greeting hello', '<%= config.bin %> env --admin'];
  static override flags = {
    admin: Flags.boolean({ summary: 'Export the admin token (for /admin and core membership changes) instead of the client token.' }),
  };

  async run(): Promise<ClusterEnvironment> {
    const env = clusterEnvironment(this.clusterPaths(), { admin: this.flags.admin });
    for (const [name, value] of Object.entries(env)) this.log(`export ${name}=${shellQuote(value)}`);
    return env;
  }
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:,=+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
