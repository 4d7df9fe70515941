import { AgentMembership } from './agent/agent-membership.js';
import { connectCoreToGossip } from './autopilot/core-gossip.js';
import { ConfigMirror } from './core/config-mirror.js';
import { CoreService } from './core/core-service.js';
import { EtcdNodeCore } from './core/etcd-node-core.js';
import type { NodeCore } from './core/node-core.js';
import { createEtcdSubsystem } from './etcd/etcd-subsystem.js';
import { GossipDriver } from './gossip/gossip-driver.js';
import { HealthMonitor } from './health/health-monitor.js';
import { ServiceChecks } from './health/service-checks.js';
import { registerConfigRoutes } from './http/config-routes.js';
import { registerEtcdCoreRoutes, registerRaftCoreRoutes } from './http/core-routes.js';
import { registerElectionRoutes } from './http/election-routes.js';
import { registerKvRoutes } from './http/kv-routes.js';
import { registerLeaseRoutes } from './http/lease-routes.js';
import { registerRegistryRoutes } from './http/registry-routes.js';
import { registerSnapshotRoutes } from './http/snapshot-routes.js';
import { registerWatchRoutes } from './http/watch-routes.js';
import { NO_REPLICA, registerLockStats, type ReplicaSource } from './metrics/lock-stats.js';
import { NodeMetrics } from './metrics/metrics.js';
import { createMetricsSubsystem } from './metrics/metrics-subsystem.js';
import type { NodeRuntime, NodeSubsystem } from './node-runtime.js';

/**
 * The one place a node is put together: each part is made with the parts it uses, in dependency order (nothing is
 * looked up or filled in later). Runs after the node opened its database; the node starts the parts in this order
 * and stops them in reverse.
 *
 *   metrics (counters the others push into)
 *   gossip ─▶ health monitor (publishes its summary in gossip meta)
 *   core: the nodes' Raft (replica or forwarder, change feed), or etcd (`ccm up --core etcd`: the port on etcd's API)
 *     ─▶ HTTP routes of the services, config mirror, service checks (the same on either core)
 *   Raft only: /v1/core membership, snapshots, autopilot (core ⇄ gossip), the node's own etcd API
 *   metrics subsystem (reads all of the above)
 */
export function composeNode(node: NodeRuntime): NodeSubsystem[] {
  const metrics = new NodeMetrics();
  const gossip = new GossipDriver(node);
  const health = new HealthMonitor(node, gossip);
  if (node.config.etcd) {
    const core = new EtcdNodeCore(node, node.config.etcd);
    registerEtcdCoreRoutes(node.http, core);
    const services = composeServices(node, core, NO_REPLICA, gossip, metrics);
    node.http.defaultHeaders = () => ({ 'x-ccm-node': node.config.id, 'x-ccm-leader': '' });
    const measured = createMetricsSubsystem(node, metrics, { gossip, health, core });
    return [gossip, health, core, ...services, measured];
  }
  const core = new CoreService(node);
  registerRaftCoreRoutes(node.http, core);
  const services = composeServices(node, core, core, gossip, metrics);
  registerSnapshotRoutes(node.http, core, node.config.id, node.config.cluster);
  const autopilot = connectCoreToGossip(node, core, gossip, health);
  node.http.defaultHeaders = () => ({ 'x-ccm-node': node.config.id, 'x-ccm-leader': core.knownLeader() ?? '' });
  const etcd = createEtcdSubsystem(node, core, metrics);
  const measured = createMetricsSubsystem(node, metrics, { gossip, health, core });
  const parts: NodeSubsystem[] = [gossip, health, ...services, autopilot, core, etcd, measured];
  // An agent (one node per host) learns its peers from gossip and forms the core by bootstrap-expect; last, so it
  // stops first (a leaving voter gets out of the core while the core and gossip still run).
  if (node.config.agent) parts.push(new AgentMembership(node, gossip, core));
  return parts;
}

/** The coordination services' routes and the parts that keep them, on either core. */
function composeServices(node: NodeRuntime, core: NodeCore, replicas: ReplicaSource, gossip: GossipDriver, metrics: NodeMetrics): NodeSubsystem[] {
  registerKvRoutes(node.http, core);
  registerWatchRoutes(node, core, metrics);
  const leases = registerLeaseRoutes(node.http, core);
  registerLockStats(node.http, node, replicas, metrics);
  const configMirror = new ConfigMirror(node, core, gossip);
  registerConfigRoutes(node.http, node, core, configMirror);
  registerRegistryRoutes(node.http, core);
  const serviceChecks = new ServiceChecks(node, core, gossip);
  registerElectionRoutes(node.http, core, leases);
  return [configMirror, serviceChecks];
}
