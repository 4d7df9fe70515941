import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import { CcmError } from '../src/client/api-errors.js';
import { upCluster } from '../src/cluster/launcher.js';
import { parseSettings } from '../src/cluster/cluster-file.js';
import { secretPaths } from '../src/cluster/cluster-secrets.js';
import { formatDuration } from '../src/time/duration.js';

export interface UpJson {
  cluster: string;
  dir: string;
  elapsedMs: number;
  core: string[];
  heal: boolean;
  /** Where the keyring, the tokens (and the CA with --tls) are: readable by the owner only. */
  secrets: string;
  tls: boolean;
  allowCommandChecks: boolean;
  nodes: { id: string; pid: number | null; kind: 'core' | 'member'; ports: { http: number; peer: number; gossip: number } }[];
}

export default class Up extends CcmCommand<typeof Up> {
  static override summary = 'Start a local cluster: one real process per node, and wait until each answers.';
  static override examples = ['<%= config.bin %> up --nodes 5', '<%= config.bin %> up --nodes 5 --core 3 --name demo', '<%= config.bin %> up --nodes 7 --no-heal'];
  static override flags = {
    nodes: Flags.integer({ summary: 'Number of nodes (1-100). Default 3 for a new cluster; an existing stopped cluster restarts as it was.' }),
    core: Flags.integer({ summary: 'How many of the first nodes are Raft voters (odd, 1-7; default 3, or 1 below 3 nodes).' }),
    'base-port': Flags.integer({ summary: 'Use ports base, base+1, base+2 for n1, and so on, instead of random free ports.' }),
    heal: Flags.boolean({ summary: 'Restart node processes that die (the supervisor).', default: true, allowNo: true }),
    tls: Flags.boolean({ summary: "Serve the HTTP API over TLS: a cluster CA and a certificate per node (in secrets/tls); the CLI trusts that CA." }),
    'allow-command-checks': Flags.boolean({ summary: 'Let health checks run shell commands (/bin/sh -c on the node); refused otherwise, as Consul refuses script checks.' }),
    setting: Flags.string({ summary: 'Tune a protocol setting, key=value (e.g. raftElectionTicks=10); repeatable.', multiple: true, hidden: true }),
  };

  async run(): Promise<UpJson> {
    const paths = this.clusterPaths();
    const result = await upCluster(paths, {
      nodes: this.flags.nodes,
      core: this.flags.core,
      basePort: this.flags['base-port'],
      heal: this.flags.heal,
      settings: parseSettings(this.flags.setting ?? []),
      security: {
        ...(this.flags.tls !== undefined ? { tls: this.flags.tls } : {}),
        ...(this.flags['allow-command-checks'] !== undefined ? { allowCommandChecks: this.flags['allow-command-checks'] } : {}),
      },
    });
    if (result.alreadyRunning) {
      throw new CcmError(
        'already_exists',
        `cluster "${paths.name}" is already running (${result.file.nodes.length} nodes); see ccm status --name ${paths.name}, or stop it with ccm down --name ${paths.name}`,
      );
    }
    const file = result.file;
    const json: UpJson = {
      cluster: file.name,
      dir: paths.dir,
      elapsedMs: Math.round(result.elapsedMs),
      core: file.core,
      heal: file.heal,
      secrets: secretPaths(paths).dir,
      tls: file.security.tls,
      allowCommandChecks: file.security.allowCommandChecks,
      nodes: file.nodes.map((n) => ({ id: n.id, pid: n.pid, kind: file.core.includes(n.id) ? 'core' : 'member', ports: n.ports })),
    };
    this.log(
      renderTable(
        ['NODE', 'PID', 'KIND', 'HTTP', 'PEER(TCP)', 'GOSSIP(UDP)'],
        json.nodes.map((n) => [n.id, n.pid, n.kind, n.ports.http, n.ports.peer, n.ports.gossip]),
      ),
    );
    this.log(`\ncluster "${file.name}" up: ${file.nodes.length} nodes ready in ${formatDuration(result.elapsedMs)} (state in ${paths.dir})`);
    this.log(`peers sealed with the cluster key; API ${file.security.tls ? 'over HTTPS, ' : ''}token in ${json.secrets} (for scripts: eval "$(ccm env${paths.name === 'default' ? '' : ` --name ${paths.name}`})")`);
    return json;
  }
}
