import { randomBytes } from 'node:crypto';
import type { ClusterStatus, NodeStatus, NodeStatusRow } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import { describeFault } from '../faults/faults.js';
import type { ClusterPaths } from './cluster-dir.js';
import { nodeHost, readClusterFile, type ClusterFile } from './cluster-file.js';
import { processState } from './process-table.js';
import { etcdClusterView } from './etcd-members.js';

/** How long reach-pings get to arrive before we read them back, on top of any delay chaos has added. */
const REACH_SETTLE_MS = 150;
const STATUS_TIMEOUT_MS = 1000;

/**
 * `ccm status`: each node's process state from the OS, its own status over HTTP, and the reachability
 * matrix: every node sends a one-way reach-ping (with a fresh nonce) to every peer through its link filter,
 * then each node reports whose ping it heard. One-way partitions show up as one-way cells.
 */
export async function clusterStatus(paths: ClusterPaths, opts: { probeReachability?: boolean } = {}): Promise<ClusterStatus> {
  const file = readClusterFile(paths);
  let probe = opts.probeReachability ?? true;
  const states = new Map(file.nodes.map((n) => [n.id, processState(n.pid, n.id)]));
  const running = file.nodes.filter((n) => states.get(n.id) === 'running');
  const nonce = randomBytes(6).toString('hex');
  if (probe && running.length > 1) {
    const asked = await Promise.allSettled(
      running.map((n) => requestJson(endpointOf(file, n.id), 'POST', '/admin/reach-probe', { nonce }, { timeoutMs: STATUS_TIMEOUT_MS })),
    );
    // Not one node took the probe (no admin token: a client token given by --endpoints): reachability is unknown, not "none".
    probe = asked.some((r) => r.status === 'fulfilled');
    await new Promise((r) => setTimeout(r, REACH_SETTLE_MS + maxFaultDelayMs(file)));
  }
  const statuses = new Map<string, NodeStatus>();
  await Promise.allSettled(
    running.map(async (n) => {
      statuses.set(n.id, await requestJson<NodeStatus>(endpointOf(file, n.id), 'GET', '/v1/status', undefined, { timeoutMs: STATUS_TIMEOUT_MS }));
    }),
  );
  const ids = file.nodes.map((n) => n.id);
  const reachability: Record<string, Record<string, boolean>> = {};
  for (const a of ids) {
    reachability[a] = {};
    for (const b of ids) {
      if (a === b) continue;
      reachability[a][b] = probe && (statuses.get(b)?.reachHeard[a] ?? []).includes(nonce);
    }
  }
  const nodes: NodeStatusRow[] = file.nodes.map((n) => {
    const s = statuses.get(n.id);
    const others = ids.filter((x) => x !== n.id);
    return {
      id: n.id,
      host: nodeHost(file, n),
      pid: states.get(n.id) === 'stopped' ? null : n.pid,
      state: states.get(n.id)!,
      responding: s !== undefined,
      kind: s?.kind ?? (file.core.includes(n.id) ? 'core' : 'member'),
      uptimeMs: s?.uptimeMs ?? null,
      startCount: s?.startCount ?? null,
      restarts: n.restarts,
      ports: n.ports,
      reaches: probe ? others.filter((o) => reachability[n.id][o]) : [],
      cannotReach: probe ? others.filter((o) => !reachability[n.id][o]) : [],
      ...(s?.raft ? { raft: s.raft } : {}),
      ...(s?.gossip ? { gossip: s.gossip } : {}),
      ...(s?.peerAuth ? { peerAuth: s.peerAuth } : {}),
    };
  });
  const etcd = await etcdClusterView(
    file,
    (id) => requestJson(endpointOf(file, id), 'GET', '/v1/core/status', undefined, { timeoutMs: STATUS_TIMEOUT_MS + 2000 }),
    file.nodes.filter((n) => statuses.has(n.id)).map((n) => n.id),
  );
  return { cluster: file.name, dir: paths.dir, heal: file.heal, nodes, reachability, faults: file.faults.map(describeFault), ...(etcd ? { etcd } : {}) };
}

export function endpointOf(file: ClusterFile, id: string): { host: string; port: number } {
  const node = file.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return { host: nodeHost(file, node), port: node.ports.http };
}

function maxFaultDelayMs(file: ClusterFile): number {
  let max = 0;
  for (const f of file.faults) if (f.kind === 'delay') max = Math.max(max, f.delayMs + f.jitterMs);
  return Math.min(max * 2, 5000);
}
