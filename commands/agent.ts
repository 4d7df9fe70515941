import { Flags } from '@oclif/core';
import { CcmCommand, isHuman } from '../src/cli/ccm-command.js';
import { parseDurationArg } from '../src/faults/fault-args.js';
import { clusterPaths } from '../src/cluster/cluster-dir.js';
import { prepareAgent, runAgentInForeground, startAgentDetached, type DetachedAgent } from '../src/node/agent/agent-start.js';

export default class Agent extends CcmCommand<typeof Agent> {
  static override usesEndpoints = false;
  static override summary = 'Run one node on this host (one per host), joining a cluster through any seed: as Consul\'s agent.';
  static override description =
    'The node binds --bind (an address of this host) on --base-port (HTTP), +1 (peer TCP), +2 (gossip UDP), +3 (etcd gRPC), keeps its data in --dir, ' +
    'and joins through --join, a seed\'s gossip address (host:base+2). It learns every other node from gossip. With --core it may be a Raft voter: ' +
    'the core forms once --bootstrap-expect core agents have joined (the first N by id). SIGTERM (or Ctrl-C) leaves gracefully: out of the core, then gossip. ' +
    'The cluster key comes from --keyring-file or CCM_CLUSTER_KEY, the API token from --token-file or CCM_TOKEN (never on the command line: ps shows it); ' +
    'without them, from the cluster\'s secrets under the ccm home (<home>/<name>/secrets, made on first use, as ccm up makes them). ' +
    '--name is the cluster\'s name (the same on every agent). Clients reach agents with --endpoints (or CCM_ENDPOINTS) and the token.';
  static override examples = [
    'CCM_CLUSTER_KEY=$(cat key) CCM_TOKEN=$(cat token) <%= config.bin %> agent --id a1 --bind 10.0.0.1 --base-port 7000 --dir /var/lib/ccm --core --bootstrap-expect 3',
    '<%= config.bin %> agent --id a2 --bind 10.0.0.2 --base-port 7000 --join 10.0.0.1:7002 --dir /var/lib/ccm --core --bootstrap-expect 3 --keyring-file key.json --token-file token',
    '<%= config.bin %> agent --id a4 --bind 10.0.0.4 --base-port 7000 --join 10.0.0.1:7002 --dir /var/lib/ccm --detach',
  ];
  static override flags = {
    id: Flags.string({ summary: "This node's id (letters, digits, '.', '_', '-'); unique in the cluster.", required: true }),
    bind: Flags.string({ summary: 'The IPv4 address to bind and advertise: one of this host\'s own.', required: true }),
    'base-port': Flags.integer({ summary: 'HTTP on this port; peer TCP +1, gossip UDP +2, etcd gRPC +3.', required: true }),
    join: Flags.string({ summary: "A seed's gossip address, host:port (repeatable, or comma-separated); none for the first agent.", multiple: true }),
    dir: Flags.string({ summary: "The agent's data directory (created if new).", required: true }),
    core: Flags.boolean({ summary: 'A Raft voter candidate (needs --bootstrap-expect).', default: false }),
    'bootstrap-expect': Flags.integer({ summary: 'The core forms once this many core agents have joined (odd, 1-7, the same on each).', default: 0 }),
    detach: Flags.boolean({ summary: 'Start the node as a background process and return once it has joined.', default: false }),
    'join-timeout': Flags.string({ summary: 'Give up (exit non-zero) when no seed lets this agent join within this long.', default: '15s' }),
    'gossip-interval': Flags.string({ summary: 'Gossip probe interval (SWIM); the same on every agent.', default: '200ms' }),
    home: Flags.string({ summary: "The ccm home: when no key or token is given, the cluster's secrets under <home>/<name>/secrets serve (made on first use).", env: 'CCM_HOME', default: './.ccm' }),
    'keyring-file': Flags.string({ summary: "The cluster key: a keyring.json (as ccm up's secrets/keyring.json) or a file holding one base64 key. Else CCM_CLUSTER_KEY." }),
    'token-file': Flags.string({ summary: 'A file holding the API token (else CCM_TOKEN).' }),
    'cert-file': Flags.string({ summary: "Serve the API over HTTPS with this certificate (PEM; its names must include --bind). Needs --key-file and --ca-file." }),
    'key-file': Flags.string({ summary: "The certificate's private key (PEM)." }),
    'ca-file': Flags.string({ summary: "The CA that signed every agent's certificate: this agent asks its seeds over HTTPS trusting only it (clients: --cacert)." }),
    'admin-token-file': Flags.string({ summary: 'A file holding the admin token (else CCM_ADMIN_TOKEN, else the API token).' }),
  };

  async run(): Promise<DetachedAgent | void> {
    const f = this.flags;
    const spec = {
      id: f.id,
      cluster: f.name ?? 'default',
      bind: f.bind,
      basePort: f['base-port'],
      join: (f.join ?? []).flatMap((j) => j.split(',')).map((j) => j.trim()).filter(Boolean),
      isCore: f.core,
      bootstrapExpect: f['bootstrap-expect'],
      joinTimeoutMs: parseDurationArg(f['join-timeout'], '--join-timeout', { minMs: 100, maxMs: 600_000 }),
      tls: f['cert-file'] !== undefined,
      gossipProbeIntervalMs: parseDurationArg(f['gossip-interval'], '--gossip-interval', { minMs: 20, maxMs: 60_000 }),
    };
    const plan = await prepareAgent(f.dir as string, spec, { keyringFile: f['keyring-file'], tokenFile: f['token-file'], adminTokenFile: f['admin-token-file'],
      certFile: f['cert-file'],
      keyFile: f['key-file'],
      caFile: f['ca-file'], env: process.env, home: clusterPaths(f.home, f.name ?? 'default') });
    if (f.detach) {
      const started = await startAgentDetached(plan);
      if (isHuman(this)) this.log(`agent ${started.id} started (pid ${started.pid}), HTTP ${started.http}, ${started.alive} alive in its view; log: ${started.log}`);
      return started;
    }
    process.stderr.write(`agent ${spec.id}: ${spec.bind}, HTTP ${spec.basePort}, gossip ${spec.basePort + 2}${plan.seed ? `, joining through ${plan.seed.seed} (${plan.seed.node})` : ''}; SIGTERM or Ctrl-C to leave\n`);
    await runAgentInForeground(plan);
    // The node runs until a signal ends the process.
    await new Promise(() => undefined);
  }
}
