import { renderTable } from '../cli/output-table.js';
import { etcdSummary } from '../cli/etcd-format.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { electionsView, gossipSpreadView, servicesView, watchesView } from './panels-model.js';
import { configView, currentLeader, leasesView, matrixView, nodeRows } from './status-model.js';

/**
 * The live view's content as plain text, for a stdout that is not a terminal (a pipe, a file, CI): the same
 * rows as the table on screen, printed once, no colour, no cursor movement.
 */
export function renderPlainDashboard(snapshot: DashboardSnapshot, nowMs: number): string {
  const rows = nodeRows(snapshot, null, nowMs);
  const table = renderTable(
    ['NODE', 'ROLE', 'TERM', 'COMMIT', 'LAG', 'A/S/D', 'PHI', 'HEALTH', 'ELDR', 'UPTIME', 'RESTARTS', 'REACH', 'HOST'],
    rows.map((r) => [`${r.id}${r.isEmergentLeader ? '*' : ''}`, r.role, r.term, r.commit, r.lag, r.gossip, r.phi, r.health, r.sees, r.uptime, r.restarts, r.reach, r.host]),
  );
  const leader = currentLeader(snapshot.status.nodes);
  const etcd = snapshot.status.etcd;
  // On the etcd backend no node leads: the etcd line names the leading member.
  const leaderLine = etcd ? etcdSummary(etcd) : `leader: ${leader ? `${leader.id} (term ${leader.raft!.term})` : 'none'}`;
  const lines = [table, '', leaderLine, `reach: ${matrixView(snapshot, nowMs).summary}`];
  const leases = leasesView(snapshot, nowMs);
  lines.push(`leases: ${leases.note ?? leases.rows.map((l) => `${l.resource}=${l.holder} token ${l.token} ttl ${l.ttl}${l.use ? ` use ${l.use}` : ''}`).join(', ')}`);
  const config = configView(snapshot);
  lines.push(`config: ${config.note ?? config.rows.map((c) => `${c.nodeId} ${c.version} ${c.state}`).join(', ')}`);
  lines.push(`services: ${servicesView(snapshot).summary}`);
  lines.push(`elections: ${electionsView(snapshot, nowMs).summary}`);
  lines.push(`watches: ${watchesView(snapshot, nowMs).summary}`);
  const spread = gossipSpreadView(snapshot);
  lines.push(`gossip: ${spread.fact ? `${spread.fact}: ` : ''}${spread.summary}`);
  if (snapshot.status.faults.length > 0) lines.push(`faults: ${snapshot.status.faults.join('; ')}`);
  return lines.join('\n');
}
