import path from 'node:path';
import { compileFaults } from '../faults/faults.js';
import { nodeDir, type ClusterPaths } from '../cluster/cluster-dir.js';
import { decodeFaultSwitch, findNode, type ClusterFile, type ClusterSecurity, type ClusterSettings, type NodePorts } from '../cluster/cluster-file.js';
import { etcdConnection, secretPaths, type EtcdConnection, type SecretPaths } from '../cluster/cluster-secrets.js';
import type { LinkFilterConfig } from '../net/link-filter.js';
import type { PeerAddress } from '../net/tcp-transport.js';
import { DEFAULT_SECURITY, DEFAULT_SETTINGS } from '../cluster/cluster-file.js';
import { agentPorts, agentSecretPaths, type AgentSpec } from '../cluster/agent-config.js';

/** Everything a node process needs to start, derived from cluster.json and its own id. */
export interface NodeConfig {
  id: string;
  cluster: string;
  clusterDir: string;
  dataDir: string;
  host: string;
  ports: NodePorts;
  /** Every other node of the cluster. */
  peers: PeerAddress[];
  /** Every node's ports, this one's included (what the etcd API's MemberList shows). */
  nodePorts: Record<string, NodePorts>;
  /** Raft voters the cluster was created with. */
  core: string[];
  settings: ClusterSettings;
  security: ClusterSecurity;
  /** Where the keyring, tokens and certificates are (the node reads them at start). */
  secrets: SecretPaths;
  linkFilter: LinkFilterConfig;
  /** Set when the services run on etcd (ccm up --core etcd, --etcd-endpoints): the node runs no Raft core of its own. */
  etcd?: EtcdConnection;
  /** Set when this node runs as a `ccm agent` (one node per host): peers come from gossip, not from a cluster file. */
  agent?: AgentOptions;
}

/** How an agent joins and forms the core (see src/node/agent/agent-membership.ts). */
export interface AgentOptions {
  /** Seeds' gossip addresses (host:port); empty for the first agent. */
  join: string[];
  /** Whether this agent may be a Raft voter. */
  isCore: boolean;
  /** The core forms once this many core agents are alive in gossip (0: this agent never bootstraps one). */
  bootstrapExpect: number;
  /** How long the agent may take to join through its seeds before it gives up and exits non-zero. */
  joinTimeoutMs: number;
}

export function nodeConfigFromCluster(paths: ClusterPaths, file: ClusterFile, id: string): NodeConfig {
  const self = findNode(file, id);
  const compiled = compileFaults(file.faults, file.nodes.map((n) => n.id));
  return {
    id,
    cluster: file.name,
    clusterDir: paths.dir,
    dataDir: path.resolve(nodeDir(paths, id)),
    host: file.host,
    ports: self.ports,
    peers: file.nodes
      .filter((n) => n.id !== id)
      .map((n) => ({ id: n.id, host: file.host, peerPort: n.ports.peer, gossipPort: n.ports.gossip })),
    nodePorts: Object.fromEntries(file.nodes.map((n) => [n.id, n.ports])),
    core: file.core,
    settings: { ...file.settings, unsafeFaultSwitch: decodeFaultSwitch(file.settings.unsafeFaultSwitch) },
    security: file.security,
    secrets: secretPaths(paths),
    linkFilter: compiled[id] ?? { peers: {} },
    // An external etcd's credentials: paths into secrets/etcd/, read by the node at start.
    ...(file.etcd ? { etcd: etcdConnection(secretPaths(paths), file.etcd) } : {}),
  };
}

/** The node config an agent runs with: no cluster file; its peers come from gossip. */
export function agentNodeConfig(dir: string, spec: AgentSpec): NodeConfig {
  const ports = agentPorts(spec.basePort);
  return {
    id: spec.id,
    cluster: spec.cluster,
    clusterDir: dir,
    dataDir: path.resolve(dir),
    host: spec.bind,
    ports,
    peers: [],
    nodePorts: { [spec.id]: ports },
    core: [],
    settings: { ...DEFAULT_SETTINGS, gossipProbeIntervalMs: spec.gossipProbeIntervalMs },
    security: { ...DEFAULT_SECURITY, tls: spec.tls },
    secrets: agentSecretPaths(dir),
    linkFilter: { peers: {} },
    agent: { join: spec.join, isCore: spec.isCore, bootstrapExpect: spec.bootstrapExpect, joinTimeoutMs: spec.joinTimeoutMs },
  };
}
