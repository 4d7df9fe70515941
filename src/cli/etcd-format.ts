import type { EtcdClusterView, EtcdMemberRow } from '../api/api-types.js';
import { paint, paintWord } from './colour.js';
import { renderTable } from './output-table.js';

function health(m: EtcdMemberRow): string {
  if (m.healthy === null) return '-';
  // etcd's errors can be long (gRPC adds its own detail): the first words say enough in a table.
  const why = m.error ? ` (${m.error.length > 48 ? `${m.error.slice(0, 47)}…` : m.error})` : '';
  return m.healthy ? paint('healthy', 'good') : paint(`unhealthy${why}`, 'bad');
}

/** The etcd members under `ccm status`'s node table: process, health, who leads, raft index and term. */
export function renderEtcdMembers(view: EtcdClusterView): string {
  const table = renderTable(
    ['ETCD MEMBER', 'STATE', 'PID', 'HEALTH', 'LEADER', 'RAFT INDEX', 'TERM', 'DB', 'VERSION', 'ENDPOINT'],
    view.members.map((m) => [
      m.name,
      m.state ? paintWord(m.state) : '-',
      m.pid ?? '-',
      health(m),
      m.leader ? paint('leader', 'good') : '',
      m.raftIndex ?? '-',
      m.raftTerm ?? '-',
      m.dbSizeBytes === null ? '-' : `${Math.round(m.dbSizeBytes / 1024)} KiB`,
      m.version ?? '-',
      m.endpoint,
    ]),
  );
  const title = `the services run on etcd (${view.mode === 'local' ? 'local members, started by ccm' : `external: ${view.endpoints.join(',')}`}); the nodes run no Raft core`;
  return `${title}\n${table}${view.error ? `\n${paint(`etcd members' status: ${view.error}`, 'warn')}` : ''}`;
}

/** The members in one line, for `ccm top`: `etcd: e1 leader idx 812, e2 idx 812, e3 down`. */
export function etcdSummary(view: EtcdClusterView): string {
  const parts = view.members.map((m) => {
    if (m.state === 'stopped') return `${m.name} down`;
    if (m.state === 'paused') return `${m.name} paused`;
    if (m.healthy === null) return `${m.name} ?`;
    return `${m.name}${m.leader ? ' leader' : ''}${m.healthy ? '' : ' unhealthy'} idx ${m.raftIndex ?? '-'}`;
  });
  return `etcd: ${parts.join(', ') || 'no members reported'}${view.error ? ` (${view.error})` : ''}`;
}
