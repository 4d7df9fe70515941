import type { NodeStatus, RaftStatusView } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import type { ClusterPaths } from './cluster-dir.js';
import { endpointOf } from './cluster-status.js';
import { nodeHost, readRunningCluster, type ClusterFile } from './cluster-file.js';
import { CcmError } from '../errors/ccm-error.js';
import { processState } from './process-table.js';

export interface VoterStatus extends Partial<RaftStatusView> {
  id: string;
  /** 'running', 'paused', 'stopped', or 'not answering'. */
  state: string;
  /** Entries the leader has that this voter has not applied (null when unknown). */
  lag: number | null;
}

export interface CoreStatus {
  leader: string | null;
  term: number | null;
  voters: VoterStatus[];
  learners: string[];
}

/** Every voter's own view of Raft (from each node's /v1/status), and its lag behind the leader. */
export async function coreStatus(paths: ClusterPaths): Promise<CoreStatus> {
  const file = readRunningCluster(paths);
  if (file.etcd) {
    throw new CcmError('failed_precondition', `the core of cluster "${file.name}" is etcd (${file.etcd.endpoints.join(',')}), not the nodes' Raft: ccm status shows its members (or ETCDCTL_API=3 etcdctl --endpoints ${file.etcd.endpoints.join(',')} endpoint status)`);
  }
  const views = new Map<string, RaftStatusView>();
  await Promise.allSettled(
    file.nodes.map(async (n) => {
      if (processState(n.pid, n.id) !== 'running') return;
      const s = await requestJson<NodeStatus>(endpointOf(file, n.id), 'GET', '/v1/status', undefined, { timeoutMs: 1000 });
      if (s.raft) views.set(n.id, s.raft);
    }),
  );
  const leaderView = [...views.values()].filter((v) => v.role === 'leader').sort((a, b) => b.term - a.term)[0];
  // Voters as the leader sees them (membership may have changed since the cluster was created).
  const voterIds = leaderView?.voters ?? [...new Set([...file.core, ...[...views.values()].flatMap((v) => v.voters)])];
  const voters: VoterStatus[] = voterIds.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).map((id) => {
    const node = file.nodes.find((n) => n.id === id);
    const v = views.get(id);
    const ps = node ? processState(node.pid, id) : 'stopped';
    return {
      id,
      state: ps === 'running' && !v ? 'not answering' : ps,
      ...(v ?? {}),
      lag: v && leaderView ? Math.max(0, leaderView.lastIndex - v.applied) : null,
    };
  });
  return { leader: leaderView?.id ?? null, term: leaderView?.term ?? null, voters, learners: leaderView?.learners ?? [] };
}

/** How far a learner is behind, as the Raft leader sees it; null while no leader answers. */
export async function learnerLag(file: ClusterFile, id: string): Promise<{ match: number; commit: number } | null> {
  const statuses = await Promise.all(
    file.nodes
      .filter((n) => processState(n.pid, n.id) === 'running')
      .map((n) => requestJson<NodeStatus>({ host: nodeHost(file, n), port: n.ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: 1000 }).catch(() => null)),
  );
  const leader = statuses.filter((s) => s?.raft?.role === 'leader').sort((a, b) => b!.raft!.term - a!.raft!.term)[0]?.raft;
  const match = leader?.progress?.[id]?.match;
  return leader && match !== undefined ? { match, commit: leader.commit } : null;
}

/** Waits until the leader has replicated its whole committed log to `id`, reporting how far behind it is. */
export async function waitForCatchUp(file: ClusterFile, id: string, timeoutMs: number, progress: (text: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lag = await learnerLag(file, id);
    if (lag && lag.match >= lag.commit) return;
    progress(lag ? `${id}: catching up, ${lag.commit - lag.match} entries behind (has ${lag.match} of ${lag.commit})` : `${id}: catching up (waiting for the leader)`);
    if (Date.now() > deadline) {
      throw new CcmError('timeout', `${id} did not catch up with the leader within ${timeoutMs / 1000} s${lag ? ` (still ${lag.commit - lag.match} entries behind)` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
