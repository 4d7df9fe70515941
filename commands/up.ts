import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import { CcmError } from '../src/client/api-errors.js';
import type { NodePortsView } from '../src/client/api-types.js';
import { upCluster } from '../src/cluster/launcher.js';
import { parseSettings } from '../src/cluster/cluster-file.js';
import { formatDuration } from '../src/time/duration.js';

export interface UpJson {
  cluster: string;
  dir: string;
  elapsedMs: number;
  core: string[];
  heal: boolean;
  nodes: { id: string; pid: number | null; kind: 'core' | 'member'; ports: NodePortsView }[];
}

export default class Up extends CcmCommand<typeof Up> {
  static override summary = 'Start a local cluster: one real process per node, and wait until each answers.';
  static override examples = ['<%= config.bin %> up --nodes 5', '<%= config.bin %> up --nodes 5 --core 3 --name demo', '<%= config.bin %> up --nodes 7 --no-heal'];
  static override flags = {
    nodes: Flags.integer({ summary: 'Number of nodes (1-100). Default 3 for a new cluster; an existing stopped cluster restarts as it was.' }),
    core: Flags.integer({ summary: 'How many of the first nodes are Raft voters (odd, 1-7; default 3, or 1 below 3 nodes).' }),
    'base-port': Flags.integer({ summary: 'Use ports base..base+3 (HTTP, peer, gossip, etcd) for n1, and so on, instead of random free ports.' }),
    heal: Flags.boolean({ summary: 'Restart node processes that die (the supervisor).', default: true, allowNo: true }),
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
      nodes: file.nodes.map((n) => ({ id: n.id, pid: n.pid, kind: file.core.includes(n.id) ? 'core' : 'member', ports: n.ports })),
    };
    this.log(
      renderTable(
        ['NODE', 'PID', 'KIND', 'HTTP', 'PEER(TCP)', 'GOSSIP(UDP)', 'ETCD(gRPC)'],
        json.nodes.map((n) => [n.id, n.pid, n.kind, n.ports.http, n.ports.peer, n.ports.gossip, n.ports.etcd ?? '-']),
      ),
    );
    this.log(`\ncluster "${file.name}" up: ${file.nodes.length} nodes ready in ${formatDuration(result.elapsedMs)} (state in ${paths.dir})`);
    return json;
  }
}
