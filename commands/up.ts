import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import { CcmError } from '../src/errors/ccm-error.js';
import type { NodePortsView } from '../src/api/api-types.js';
import { upCluster } from '../src/cluster/launcher.js';
import { parseCoreChoice } from '../src/cluster/etcd-members.js';
import { stderrProgress } from '../src/cli/progress.js';
import { DEFAULT_SETTINGS, parseSettings } from '../src/cluster/cluster-file.js';
import { secretPaths } from '../src/cluster/cluster-secrets.js';
import { SETTINGS } from '../src/cluster/settings-catalog.js';
import { formatDuration } from '../src/time/duration.js';
import { paintWord } from '../src/cli/colour.js';

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
  nodes: { id: string; pid: number | null; kind: 'core' | 'member'; ports: NodePortsView }[];
  /** Present when the services run on etcd (ccm up --core etcd, --etcd-endpoints). */
  etcd?: { mode: 'local' | 'external'; endpoints: string[]; user?: string; tls?: boolean; members: { id: string; pid: number | null; clientPort: number; peerPort: number }[] };
}

export default class Up extends CcmCommand<typeof Up> {
  static override usesEndpoints = false;
  static override summary = 'Start a local cluster: one real process per node, and wait until each answers.';
  static override description =
    'Creates the cluster under <home>/<name> (home: --dir or CCM_HOME) and starts one node process per node, each with its own ports and SQLite database; the first --core nodes are Raft voters, the others gossip members that use the core as clients. A stopped cluster starts again as it was. The protocol settings (PROTOCOL FLAGS) are set when a cluster is created or started again; ccm settings shows them with the formula each drives.';
  static override examples = [
    '<%= config.bin %> up --nodes 5',
    '<%= config.bin %> up --nodes 5 --core 3 --name demo',
    '<%= config.bin %> up --nodes 7 --no-heal',
    '<%= config.bin %> up --nodes 3 --core etcd',
    '<%= config.bin %> up --etcd-endpoints http://10.0.0.5:2379,http://10.0.0.6:2379',
    'CCM_ETCD_PASSWORD=… <%= config.bin %> up --etcd-endpoints https://10.0.0.5:2379 --etcd-user ccm --etcd-cacert ca.pem',
    '<%= config.bin %> up --raft-election-timeout 600ms --raft-heartbeat-interval 100ms --gossip-interval 500ms',
  ];
  static override flags = {
    nodes: Flags.integer({ summary: 'Number of nodes (1-100). Default 3 for a new cluster; an existing stopped cluster restarts as it was.' }),
    core: Flags.string({
      summary: 'How many of the first nodes are Raft voters (odd, 1-7; default 3, or 1 below 3 nodes); or `etcd`: run the services on a local 3-member etcd cluster (Debian\'s etcd-server) started beside the nodes.',
    }),
    'etcd-endpoints': Flags.string({ summary: 'Run the services on an existing etcd cluster instead of a Raft core: its client URLs, comma-separated (http://host:2379,…).' }),
    'etcd-user': Flags.string({ summary: 'The etcd user the nodes authenticate as (etcd with auth enabled); its password from CCM_ETCD_PASSWORD or --etcd-password-file, kept in secrets/etcd/.' }),
    'etcd-password-file': Flags.string({ summary: "A file holding --etcd-user's password (instead of CCM_ETCD_PASSWORD; never a flag: ps shows argv)." }),
    'etcd-cacert': Flags.string({ summary: "For https:// etcd endpoints: the CA certificate (PEM) that signed the members' certificates." }),
    'etcd-cert': Flags.string({ summary: 'A client certificate (PEM) for etcd members that ask for one (--client-cert-auth); with --etcd-key.' }),
    'etcd-key': Flags.string({ summary: "The client certificate's key (PEM); copied into secrets/etcd/ (0600)." }),
    'base-port': Flags.integer({ summary: 'Use ports base..base+3 (HTTP, peer, gossip, etcd) for n1, and so on, instead of random free ports.' }),
    heal: Flags.boolean({ summary: 'Restart node processes that die (the supervisor).', default: true, allowNo: true }),
    tls: Flags.boolean({ summary: "Serve the HTTP API over TLS: a cluster CA and a certificate per node (in secrets/tls); the CLI trusts that CA." }),
    'allow-command-checks': Flags.boolean({ summary: 'Let health checks run shell commands (/bin/sh -c on the node); refused otherwise, as Consul refuses script checks.' }),
    ...Object.fromEntries(
      SETTINGS.map((spec) => [
        spec.flag,
        Flags.string({ summary: `${spec.summary} Default ${spec.kind === 'duration' ? formatDuration(spec.read(DEFAULT_SETTINGS)) : spec.read(DEFAULT_SETTINGS)}; see ccm settings.`, helpGroup: 'PROTOCOL' }),
      ]),
    ),
    setting: Flags.string({ summary: 'A setting as cluster.json stores it, key=value (e.g. raftElectionTicks=10), for scripts; repeatable.', multiple: true, helpGroup: 'PROTOCOL' }),
  };

  async run(): Promise<UpJson> {
    const paths = this.clusterPaths();
    const { core, etcd } = parseCoreChoice(this.flags.core, this.flags['etcd-endpoints'], {
      user: this.flags['etcd-user'],
      passwordFile: this.flags['etcd-password-file'],
      cacert: this.flags['etcd-cacert'],
      cert: this.flags['etcd-cert'],
      key: this.flags['etcd-key'],
    });
    // Read once; the nodes and the supervisor started from here do not inherit it (they read secrets/etcd/).
    delete process.env.CCM_ETCD_PASSWORD;
    const progress = stderrProgress();
    const result = await upCluster(paths, {
      onProgress: (ready, total) => progress.update(`starting: ${ready} of ${total} node${total === 1 ? '' : 's'} ready`),
      nodes: this.flags.nodes,
      core,
      ...(etcd ? { etcd } : {}),
      basePort: this.flags['base-port'],
      heal: this.flags.heal,
      settings: parseSettings(this.flags.setting ?? []),
      security: {
        ...(this.flags.tls !== undefined ? { tls: this.flags.tls } : {}),
        ...(this.flags['allow-command-checks'] !== undefined ? { allowCommandChecks: this.flags['allow-command-checks'] } : {}),
      },
      settingFlags: Object.fromEntries(SETTINGS.map((spec) => [spec.flag, (this.flags as unknown as Record<string, string | undefined>)[spec.flag]])),
    });
    progress.done();
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
      ...(file.etcd ? { etcd: { mode: file.etcd.mode, endpoints: file.etcd.endpoints, ...(file.etcd.user ? { user: file.etcd.user } : {}), ...(file.etcd.tls ? { tls: true } : {}), members: file.etcd.members.map((m) => ({ id: m.id, pid: m.pid, clientPort: m.clientPort, peerPort: m.peerPort })) } } : {}),
    };
    this.log(
      renderTable(
        ['NODE', 'PID', 'KIND', 'HTTP', 'PEER(TCP)', 'GOSSIP(UDP)', 'ETCD(gRPC)'],
        json.nodes.map((n) => [n.id, n.pid, paintWord(n.kind), n.ports.http, n.ports.peer, n.ports.gossip, file.etcd ? '-' : (n.ports.etcd ?? '-')]),
      ),
    );
    if (file.etcd?.mode === 'local') {
      this.log(`\n${renderTable(['ETCD MEMBER', 'PID', 'CLIENT', 'PEER'], file.etcd.members.map((m) => [m.id, m.pid, m.clientPort, m.peerPort]))}`);
    }
    if (file.etcd) this.log(`\nthe services run on etcd (${file.etcd.mode === 'local' ? 'local members' : 'external'}: ${file.etcd.endpoints.join(',')}${file.etcd.user ? ` as user ${file.etcd.user}` : ''}); the nodes run no Raft core`);
    this.log(`\ncluster "${file.name}" up: ${file.nodes.length} nodes ready in ${formatDuration(result.elapsedMs)} (state in ${paths.dir})`);
    this.log(`peers sealed with the cluster key; API ${file.security.tls ? 'over HTTPS, ' : ''}token in ${json.secrets} (for scripts: eval "$(ccm env${paths.name === 'default' ? '' : ` --name ${paths.name}`})")`);
    return json;
  }
}
