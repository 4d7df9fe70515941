import type { ClusterEvent } from '../api/api-types.js';
import { formatDuration } from '../time/duration.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { oneLine, type PanelView, type Tone } from './status-model.js';

/**
 * The panels beside the reachability matrix, one at a time (Tab cycles them): what each shows, as pure functions
 * of a snapshot and `nowMs`, like status-model.ts.
 */
export { nextPanel, PANELS, type PanelId } from './panel-ids.js';

function unwired(value: unknown, error: string | undefined, what: string): { note: string; noteTone: Tone } | null {
  if (error !== undefined) return { note: `error: ${oneLine(error)}`, noteTone: 'bad' };
  if (value === undefined) return { note: `(no ${what} source yet)`, noteTone: 'muted' };
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Services

export interface ServiceRowView {
  service: string;
  id: string;
  address: string;
  status: string;
  tone: Tone;
}

/** Every instance, grouped by service, with its health (critical first within a service: what needs a look). */
export function servicesView(snapshot: DashboardSnapshot): PanelView<ServiceRowView> & { summary: string } {
  const missing = unwired(snapshot.services, snapshot.servicesError, 'service');
  if (missing) return { rows: [], ...missing, summary: missing.note };
  const rows = snapshot.services!;
  if (rows.length === 0) return { rows: [], note: '(no service registered)', noteTone: 'muted', summary: 'none registered' };
  const rank: Record<string, number> = { critical: 0, warning: 1, passing: 2 };
  const views = [...rows]
    .sort((a, b) => a.service.localeCompare(b.service) || (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || a.id.localeCompare(b.id))
    .map((r) => ({
      service: oneLine(r.service),
      id: oneLine(r.id),
      address: oneLine(r.address),
      status: oneLine(r.status),
      tone: (r.status === 'passing' ? 'good' : r.status === 'warning' ? 'warn' : r.status === 'critical' ? 'bad' : 'muted') as Tone,
    }));
  const count = (s: string): number => rows.filter((r) => r.status === s).length;
  const services = new Set(rows.map((r) => r.service)).size;
  const parts = [`${count('passing')} passing`, ...(count('warning') ? [`${count('warning')} warning`] : []), ...(count('critical') ? [`${count('critical')} critical`] : [])];
  return { rows: views, note: null, noteTone: 'plain', summary: `${services} service${services === 1 ? '' : 's'}, ${rows.length} instance${rows.length === 1 ? '' : 's'}: ${parts.join(', ')}` };
}

// ---------------------------------------------------------------------------------------------------------
// Elections

export interface ElectionRowView {
  election: string;
  leader: string;
  token: string;
  ttl: string;
  ttlTone: Tone;
  /** Candidates in line, in order. */
  line: string;
}

export function electionsView(snapshot: DashboardSnapshot, nowMs: number): PanelView<ElectionRowView> & { summary: string } {
  const missing = unwired(snapshot.elections, snapshot.electionsError, 'election');
  if (missing) return { rows: [], ...missing, summary: missing.note };
  const rows = snapshot.elections!;
  if (rows.length === 0) return { rows: [], note: '(no election running)', noteTone: 'muted', summary: 'none running' };
  const elapsed = Math.max(0, nowMs - snapshot.fetchedAtMs);
  const views = [...rows]
    .sort((a, b) => a.election.localeCompare(b.election))
    .map((e): ElectionRowView => {
      const left = e.ttlLeftMs === null ? null : e.ttlLeftMs - elapsed;
      return {
        election: oneLine(e.election),
        leader: e.leader === null ? 'nobody' : oneLine(e.leader),
        token: e.token === null ? '-' : String(e.token),
        ttl: left === null ? '?' : left <= 0 ? 'expired' : `${Math.ceil(left / 1000)}s`,
        ttlTone: left === null ? 'muted' : left <= 0 ? 'bad' : 'good',
        line: e.candidates.map(oneLine).join(' ') || '-',
      };
    });
  const led = rows.filter((e) => e.leader !== null).length;
  return { rows: views, note: null, noteTone: 'plain', summary: `${rows.length} election${rows.length === 1 ? '' : 's'}, ${led} led` };
}

// ---------------------------------------------------------------------------------------------------------
// Watches

export interface WatchRowView {
  node: string;
  key: string;
  revision: string;
  events: string;
  age: string;
}

export function watchesView(snapshot: DashboardSnapshot, nowMs: number): PanelView<WatchRowView> & { summary: string } {
  const missing = unwired(snapshot.watches, snapshot.watchesError, 'watch');
  if (missing) return { rows: [], ...missing, summary: missing.note };
  const rows = snapshot.watches!;
  if (rows.length === 0) return { rows: [], note: '(no watch open: ccm watch <key>)', noteTone: 'muted', summary: 'none open' };
  const views = [...rows]
    .sort((a, b) => a.node.localeCompare(b.node, undefined, { numeric: true }) || a.openedAtMs - b.openedAtMs)
    .map((w) => ({
      node: w.node,
      key: `${oneLine(w.key)}${w.prefix ? '*' : ''}`,
      revision: String(w.revision),
      events: String(w.events),
      age: formatDuration(Math.max(0, nowMs - w.openedAtMs)).replace(/\.\d+s$/, 's'),
    }));
  const nodes = new Set(rows.map((w) => w.node)).size;
  return { rows: views, note: null, noteTone: 'plain', summary: `${rows.length} open on ${nodes} node${nodes === 1 ? '' : 's'}` };
}

// ---------------------------------------------------------------------------------------------------------
// Gossip spread: a fact (`ccm gossip set n2 zone=eu`) reaching node after node

export interface SpreadRowView {
  nodeId: string;
  /** `origin`, `+0.42s` (when this node's view first had it), `waiting`, or `down`. */
  state: string;
  tone: Tone;
  /** 0..1 of the slowest arrival so far, for a bar. */
  share: number;
}

export interface GossipSpreadView {
  /** `n2 zone=eu` — the newest tag change, or null when there has been none in the events kept. */
  fact: string | null;
  rows: SpreadRowView[];
  summary: string;
  tone: Tone;
}

/**
 * Built from the event timeline: the origin logs `gossip-tags-set` (with its new incarnation), and every node logs
 * `member-updated` when its view first takes that incarnation (or a later one) of the origin. Times come from each
 * node's own clock, so a clock-skew fault shifts them.
 */
export function gossipSpreadView(snapshot: DashboardSnapshot): GossipSpreadView {
  const events = snapshot.events;
  let origin: ClusterEvent | undefined;
  for (let i = events.length - 1; i >= 0 && !origin; i--) if (events[i].type === 'gossip-tags-set') origin = events[i];
  if (!origin) return { fact: null, rows: [], summary: '(no tag change yet: ccm gossip set n2 zone=eu)', tone: 'muted' };
  const from = origin.source;
  const incarnation = typeof origin.incarnation === 'number' ? origin.incarnation : 0;
  const tags = origin.tags && typeof origin.tags === 'object' ? Object.entries(origin.tags as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`) : [];
  const fact = oneLine(`${from} ${tags.join(' ') || '(tags cleared)'}`);
  const seenAt = new Map<string, number>();
  for (const e of events) {
    if (e.ts < origin.ts - 1000 || seenAt.has(e.source)) continue;
    const isNews = (e.type === 'member-updated' || e.type === 'member-joined' || e.type === 'member-alive') && e.member === from;
    if (isNews && typeof e.incarnation === 'number' && e.incarnation >= incarnation) seenAt.set(e.source, Math.max(0, e.ts - origin.ts));
  }
  const slowest = Math.max(1, ...seenAt.values());
  const rows = snapshot.status.nodes.map((n): SpreadRowView => {
    if (n.id === from) return { nodeId: n.id, state: 'origin', tone: 'accent', share: 0 };
    const at = seenAt.get(n.id);
    if (at !== undefined) return { nodeId: n.id, state: `+${(at / 1000).toFixed(2)}s`, tone: 'good', share: at / slowest };
    if (n.state !== 'running' || !n.responding) return { nodeId: n.id, state: 'down', tone: 'muted', share: 0 };
    return { nodeId: n.id, state: 'waiting', tone: 'warn', share: 0 };
  });
  const others = rows.filter((r) => r.nodeId !== from && r.state !== 'down');
  const reached = others.filter((r) => r.state.startsWith('+')).length;
  const all = reached === others.length;
  const summary = all
    ? `reached all ${others.length} other node${others.length === 1 ? '' : 's'} in ${(Math.max(0, ...seenAt.values()) / 1000).toFixed(2)}s`
    : `reached ${reached} of ${others.length}; waiting: ${others.filter((r) => r.state === 'waiting').map((r) => r.nodeId).join(' ')}`;
  return { fact, rows, summary, tone: all ? 'good' : 'warn' };
}
