import { CcmClient, type ClientOptions, type NodeEndpoint } from '../client/ccm-client.js';
import type { ClusterPaths } from './cluster-dir.js';
import { etcdctlEnv } from './etcd-env.js';
import { CcmError } from '../errors/ccm-error.js';
import fs from 'node:fs';
import { DEFAULT_SECURITY, DEFAULT_SETTINGS, nodeHost, readClusterFile, readRunningCluster, useRemoteCluster, type ClusterFile, type NodePorts, type NodeRecord } from './cluster-file.js';
import { readClusterTokens, secretPaths } from './cluster-secrets.js';
import { processState, setRemoteProcessStates } from './process-table.js';
import { agentMetaOf, agentPeerAddress } from './agent-config.js';
import { explicitTokenOf, registerCredentials, type ApiCredentials } from '../client/api-access.js';
import { requestJson, type Endpoint } from '../client/http-json.js';
import type { MembersView, NodeStatus } from '../api/api-types.js';

/** Every node's address, running nodes first and voters before members, for a client of this cluster. */
export function clusterEndpoints(file: ClusterFile): NodeEndpoint[] {
  const rank = (id: string, pid: number | null): number => (processState(pid, id) === 'running' ? 0 : 2) + (file.core.includes(id) ? 0 : 1);
  return file.nodes
    .map((n) => ({ id: n.id, host: nodeHost(file, n), port: n.ports.http, rank: rank(n.id, n.pid) }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ id, host, port }) => ({ id, host, port }));
}

/** A client for the cluster named on the command line; says so clearly if it is not running. */
export function clientForCluster(paths: ClusterPaths, options: ClientOptions = {}): { client: CcmClient; file: ClusterFile } {
  const file = readRunningCluster(paths);
  return { client: new CcmClient(clusterEndpoints(file), options), file };
}

/** What `ccm env` prints: the variables a script (or the CLI on another host) needs for this cluster. */
export interface ClusterEnvironment {
  CCM_TOKEN: string;
  /** Every node's API URL, comma-separated (voters first). */
  CCM_ENDPOINTS: string;
  /** With --tls: the CA certificate file to trust. */
  CCM_CACERT?: string;
  /** For etcdctl (etcd-env.ts): 3, every node's etcd v3 API port, and `ccm:<CCM_TOKEN>` (its --user). */
  ETCDCTL_API?: string;
  ETCDCTL_ENDPOINTS?: string;
  ETCDCTL_USER?: string;
}

/** The cluster's token (the admin one with `admin`) and endpoints; says clearly if this process cannot read them. */
export function clusterEnvironment(paths: ClusterPaths, opts: { admin?: boolean } = {}): ClusterEnvironment {
  const file = readClusterFile(paths);
  const tokens = readClusterTokens(paths);
  if (!tokens) throw new CcmError('failed_precondition', `cannot read the tokens in ${secretPaths(paths).dir} (they are readable by the cluster's owner only)`);
  const scheme = file.security.tls ? 'https' : 'http';
  const endpoints = clusterEndpoints(file).map((e) => `${scheme}://${e.host}:${e.port}`);
  const token = opts.admin ? tokens.admin : tokens.client;
  return {
    CCM_TOKEN: token,
    CCM_ENDPOINTS: endpoints.join(','),
    ...(file.security.tls ? { CCM_CACERT: secretPaths(paths).caCert } : {}),
    ...etcdctlEnv(file, token),
  };
}

/** One `--endpoints` entry: `host:port`, or a URL as `ccm env` prints them (`http://host:port`, `https://…`). */
export function parseEndpoint(text: string): { host: string; port: number; tls: boolean } {
  const m = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new CcmError('invalid_argument', `--endpoints: ${JSON.stringify(text)} is not host:port (or http(s)://host:port)`);
  return { host: m[2], port, tls: m[1] === 'https' };
}

const ENDPOINT_TIMEOUT_MS = 1500;

/**
 * `--endpoints host:port,…` (or CCM_ENDPOINTS), with `--token`/CCM_TOKEN (and `--cacert`/CCM_CACERT for HTTPS): a
 * cluster with no cluster directory here (agents on other hosts). Asks each endpoint for its status and one of them
 * for its members (an agent's gossip record names its address and ports, so nodes not listed are found too), and
 * makes that the cluster every command of this process reads: nodes that answered run, the others are stopped.
 */
export async function connectToEndpoints(list: readonly string[], opts: { caFile?: string; home?: ClusterPaths } = {}): Promise<ClusterFile> {
  const endpoints = list.map(parseEndpoint);
  if (endpoints.length === 0) throw new CcmError('invalid_argument', '--endpoints is empty');
  let ca: string | undefined;
  if (opts.caFile !== undefined) {
    try {
      ca = fs.readFileSync(opts.caFile, 'utf8');
    } catch (err) {
      throw new CcmError('invalid_argument', `--cacert ${opts.caFile}: ${(err as Error).message}`);
    }
  }
  if (endpoints.some((e) => e.tls) && ca === undefined) throw new CcmError('invalid_argument', 'an https:// endpoint needs the cluster CA: --cacert <file> or CCM_CACERT');
  // Without --token: the cluster's tokens under the ccm home, where agents sharing it (`ccm agent` without a key) keep them.
  const tokens = explicitTokenOf() === undefined && opts.home ? readClusterTokens(opts.home) : null;
  const credentials: ApiCredentials = { ...(ca !== undefined ? { ca } : {}), ...(tokens ? { token: tokens.client, adminToken: tokens.admin } : {}) };
  registerCredentials(endpoints, credentials);
  const ask = <T>(e: Endpoint, route: string): Promise<T | CcmError> =>
    requestJson<T>(e, 'GET', route, undefined, { timeoutMs: ENDPOINT_TIMEOUT_MS }).catch((err: CcmError) => err);
  const answers = await Promise.all(endpoints.map(async (e) => ({ e, status: await ask<NodeStatus>(e, '/v1/status') })));
  const answered = answers.filter((a): a is { e: (typeof endpoints)[number]; status: NodeStatus } => !(a.status instanceof Error));
  if (answered.length === 0) {
    const errors = answers.map((a) => a.status as CcmError);
    const refused = errors.find((err) => err.code === 'unauthenticated' || err.code === 'permission_denied');
    if (refused) throw new CcmError('unauthenticated', `the endpoints refused the token (give it with --token or CCM_TOKEN): ${refused.message}`);
    throw new CcmError('unavailable', `none of --endpoints answered: ${errors.map((err) => err.message).join('; ')}`);
  }
  const nodes = new Map<string, NodeRecord>();
  const running = new Set<string>();
  const record = (id: string, host: string, ports: NodePorts): NodeRecord => ({ id, host, ports, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 });
  for (const { e, status } of answered) {
    nodes.set(status.id, record(status.id, e.host, status.ports));
    running.add(status.id);
  }
  const members = await ask<MembersView>(answered[0].e, '/v1/members');
  const voters = new Set<string>(answered.filter((a) => a.status.kind === 'core').map((a) => a.status.id));
  if (!(members instanceof Error)) {
    const others: Promise<void>[] = [];
    for (const m of members.members) {
      if ((m.meta as { core?: { role?: string } } | null | undefined)?.core?.role === 'voter') voters.add(m.id);
      const peer = agentPeerAddress(m.id, m.address, m.meta);
      const agent = agentMetaOf(m.meta);
      if (nodes.has(m.id) || m.state === 'left' || !peer || !agent) continue;
      const node = record(m.id, peer.host, { http: agent.ports.http, peer: peer.peerPort, gossip: peer.gossipPort, ...(agent.ports.etcd ? { etcd: agent.ports.etcd } : {}) });
      nodes.set(m.id, node);
      registerCredentials([{ host: peer.host, port: agent.ports.http }], credentials);
      others.push(ask<NodeStatus>({ host: peer.host, port: agent.ports.http }, '/v1/status').then((s) => void (!(s instanceof Error) && running.add(m.id))));
    }
    await Promise.all(others);
  }
  const first = answered[0].status;
  const file: ClusterFile = {
    version: 1,
    name: first.cluster,
    host: answered[0].e.host,
    createdAtMs: 0,
    core: [...voters].filter((id) => nodes.has(id)).sort(),
    heal: false,
    supervisorPid: null,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })),
    faults: [],
    settings: { ...DEFAULT_SETTINGS },
    security: { ...DEFAULT_SECURITY, tls: ca !== undefined },
  };
  // A node that did not answer is not this host's to start again (heal, the supervisor): nothing here runs it.
  for (const n of file.nodes) if (!running.has(n.id)) n.desired = 'stopped';
  setRemoteProcessStates(new Map(file.nodes.map((n) => [n.id, running.has(n.id) ? 'running' : 'stopped'])));
  useRemoteCluster(file);
  return file;
}
