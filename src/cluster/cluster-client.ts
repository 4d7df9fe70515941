import { CcmClient, type ClientOptions, type NodeEndpoint } from '../client/ccm-client.js';
import type { ClusterPaths } from './cluster-dir.js';
import { etcdctlEnv } from './etcd-env.js';
import { CcmError } from '../errors/ccm-error.js';
import { readClusterFile, readRunningCluster, type ClusterFile } from './cluster-file.js';
import { readClusterTokens, secretPaths } from './cluster-secrets.js';
import { processState } from './process-table.js';

/** Every node's address, running nodes first and voters before members, for a client of this cluster. */
export function clusterEndpoints(file: ClusterFile): NodeEndpoint[] {
  const rank = (id: string, pid: number | null): number => (processState(pid, id) === 'running' ? 0 : 2) + (file.core.includes(id) ? 0 : 1);
  return file.nodes
    .map((n) => ({ id: n.id, host: file.host, port: n.ports.http, rank: rank(n.id, n.pid) }))
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
