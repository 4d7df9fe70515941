import { CcmClient, type ClientOptions, type NodeEndpoint } from '../client/ccm-client.js';
import type { ClusterPaths } from './cluster-dir.js';
import { readRunningCluster, type ClusterFile } from './cluster-file.js';
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
