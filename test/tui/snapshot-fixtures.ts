import type { ClusterEvent, NodeStatusRow, RaftStatusView } from '../../src/api/api-types.js';
import type { DashboardSnapshot } from '../../src/tui/dashboard-snapshot.js';

/** A fixed instant for frames: 2025-01-02 03:04:05 UTC (the view shows local time; tests compare through `clockTime`). */
export const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

export function raft(id: string, over: Partial<RaftStatusView> = {}): RaftStatusView {
  return { id, role: 'follower', term: 4, leaderId: 'n1', commit: 20, applied: 20, lastIndex: 20, firstIndex: 1, voters: ['n1', 'n2', 'n3'], learners: [], ...over };
}

export function node(id: string, over: Partial<NodeStatusRow> = {}): NodeStatusRow {
  const core = ['n1', 'n2', 'n3'].includes(id);
  return {
    id,
    pid: 1000 + Number(id.slice(1)),
    state: 'running',
    responding: true,
    kind: core ? 'core' : 'member',
    uptimeMs: 65_000,
    startCount: 1,
    restarts: 0,
    ports: { http: 8000, peer: 8001, gossip: 8002 },
    reaches: [],
    cannotReach: [],
    ...(core ? { raft: raft(id, id === 'n1' ? { role: 'leader', lastIndex: 22, commit: 22, applied: 22 } : {}) } : {}),
    gossip: { alive: 5, suspect: 0, dead: 0, left: 0, incarnation: 1, healthScore: 0, emergentLeader: 'n1' },
    ...over,
  };
}

export function fullReach(ids: string[]): Record<string, Record<string, boolean>> {
  return Object.fromEntries(ids.map((a) => [a, Object.fromEntries(ids.filter((b) => b !== a).map((b) => [b, true]))]));
}

export function event(ts: number, source: string, type: string, message: string): ClusterEvent {
  return { ts, source, type, message };
}

/** Five healthy nodes (n1 leader, n2 and n3 followers, n4 and n5 members), full reach, two events. */
export function snapshot(over: Partial<DashboardSnapshot> = {}, nodes?: NodeStatusRow[]): DashboardSnapshot {
  const ns = nodes ?? ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => node(id));
  const ids = ns.map((n) => n.id);
  return {
    status: { cluster: 'demo', dir: '/tmp/demo', heal: true, nodes: ns, reachability: fullReach(ids), faults: [] },
    reachability: fullReach(ids),
    reachabilityProbedAtMs: T0 - 2000,
    events: [event(T0 - 5000, 'cli', 'cluster-up', 'cluster demo up with 5 nodes'), event(T0 - 4000, 'n1', 'raft-leader-changed', 'leader - -> n1')],
    fetchedAtMs: T0,
    ...over,
  };
}
