import type { ClusterEvent, GossipSummaryView, NodeStatusRow } from '../api/api-types.js';
import { formatDuration } from '../time/duration.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { nextPanel, PANELS, type PanelId } from './panel-ids.js';

/**
 * The live view's model, pure: a reducer over what happened (a snapshot arrived, a poll failed, a key asked for
 * an action, the action ended) and selectors that turn the state and `nowMs` into rows the components print.
 * No I/O, no clock: tests drive it directly.
 */

// ---------------------------------------------------------------------------------------------------------
// State and reducer

/** An operation the view can run on the cluster. */
export type DashboardCommand =
  | { kind: 'kill' | 'pause' | 'resume' | 'restart'; nodeId: string }
  | { kind: 'isolate'; nodeId: string }
  /** Two sides that cannot reach each other (every node is on one). */
  | { kind: 'partition'; groups: [string[], string[]] }
  /** `from` cannot reach `to`; `to` still reaches `from`. */
  | { kind: 'one-way'; from: string; to: string }
  | { kind: 'heal' };

/**
 * A choice in progress, made with the arrows: the two sides of a partition (space moves the picked node to the
 * other side), or the target of a one-way cut from a node. Enter runs it, Esc drops it.
 */
export type DashboardMode = { kind: 'partition'; sideA: string[] } | { kind: 'one-way'; from: string };

/** The outcome of a command, as the events panel shows it. */
export interface ActionLogEntry {
  atMs: number;
  command: DashboardCommand | null;
  isOk: boolean;
  message: string;
}

export interface DashboardState {
  /** The latest good snapshot; kept while polls fail, so the view shows the last known picture. */
  snapshot: DashboardSnapshot | null;
  /** The last poll failed (cleared by the next good one). */
  pollError: { message: string; atMs: number; consecutive: number } | null;
  /** The picked node, by id, so the pick survives nodes coming and going. */
  selectedId: string | null;
  isHelpVisible: boolean;
  /** A command still running; others are refused until it ends. */
  pending: { command: DashboardCommand; startedAtMs: number } | null;
  /** Results of commands run from this view, newest last, bounded. */
  actionLog: ActionLogEntry[];
  /** The panel beside the matrix (Tab cycles). */
  panel: PanelId;
  mode: DashboardMode | null;
}

export type DashboardAction =
  | { type: 'snapshot-received'; snapshot: DashboardSnapshot }
  | { type: 'poll-failed'; message: string; atMs: number }
  | { type: 'move-selection'; delta: number }
  | { type: 'toggle-help' }
  | { type: 'hide-help' }
  | { type: 'command-started'; command: DashboardCommand; atMs: number }
  | { type: 'command-finished'; command: DashboardCommand; isOk: boolean; message: string; atMs: number }
  | { type: 'command-refused'; message: string; atMs: number }
  | { type: 'next-panel'; delta: number }
  | { type: 'show-panel'; panel: PanelId }
  | { type: 'start-mode'; mode: DashboardMode }
  /** In partition mode: the picked node goes to the other side. */
  | { type: 'toggle-side' }
  | { type: 'cancel-mode' };

export const ACTION_LOG_MAX = 50;

export function createDashboardState(): DashboardState {
  return { snapshot: null, pollError: null, selectedId: null, isHelpVisible: false, pending: null, actionLog: [], panel: 'overview', mode: null };
}

export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'snapshot-received': {
      const ids = action.snapshot.status.nodes.map((n) => n.id);
      const selectedId = state.selectedId !== null && ids.includes(state.selectedId) ? state.selectedId : (ids[0] ?? null);
      return { ...state, snapshot: action.snapshot, pollError: null, selectedId };
    }
    case 'poll-failed':
      return { ...state, pollError: { message: action.message, atMs: action.atMs, consecutive: (state.pollError?.consecutive ?? 0) + 1 } };
    case 'move-selection': {
      const ids = state.snapshot?.status.nodes.map((n) => n.id) ?? [];
      if (ids.length === 0) return state;
      const at = state.selectedId === null ? -1 : ids.indexOf(state.selectedId);
      // Clamped, not wrapped: holding ↓ stops at the last node instead of jumping to the top.
      const next = Math.min(ids.length - 1, Math.max(0, (at < 0 ? 0 : at) + action.delta));
      return { ...state, selectedId: ids[next] };
    }
    case 'toggle-help':
      return { ...state, isHelpVisible: !state.isHelpVisible };
    case 'hide-help':
      return state.isHelpVisible ? { ...state, isHelpVisible: false } : state;
    case 'command-started':
      // A partition or one-way choice ends when its command runs.
      return { ...state, pending: { command: action.command, startedAtMs: action.atMs }, mode: null };
    case 'command-finished':
      return {
        ...state,
        pending: null,
        actionLog: appendBounded(state.actionLog, { atMs: action.atMs, command: action.command, isOk: action.isOk, message: action.message }),
      };
    case 'command-refused':
      return { ...state, actionLog: appendBounded(state.actionLog, { atMs: action.atMs, command: null, isOk: false, message: action.message }) };
    case 'next-panel':
      return { ...state, panel: nextPanel(state.panel, action.delta) };
    case 'show-panel':
      return { ...state, panel: action.panel };
    case 'start-mode':
      return { ...state, mode: action.mode };
    case 'toggle-side': {
      if (state.mode?.kind !== 'partition' || state.selectedId === null) return state;
      const id = state.selectedId;
      const sideA = state.mode.sideA.includes(id) ? state.mode.sideA.filter((x) => x !== id) : [...state.mode.sideA, id];
      return { ...state, mode: { kind: 'partition', sideA } };
    }
    case 'cancel-mode':
      return state.mode ? { ...state, mode: null } : state;
  }
}

/** The two sides a partition mode would cut: side A as picked, side B every other node. */
export function partitionSides(state: DashboardState): [string[], string[]] {
  const ids = state.snapshot?.status.nodes.map((n) => n.id) ?? [];
  const picked = state.mode?.kind === 'partition' ? state.mode.sideA : [];
  const sideA = ids.filter((id) => picked.includes(id));
  return [sideA, ids.filter((id) => !sideA.includes(id))];
}

function appendBounded(log: ActionLogEntry[], entry: ActionLogEntry): ActionLogEntry[] {
  const next = [...log, entry];
  return next.length > ACTION_LOG_MAX ? next.slice(next.length - ACTION_LOG_MAX) : next;
}

// ---------------------------------------------------------------------------------------------------------
// Keys

/** What a key asks for; `interpretKey` decides, the input hook carries it out. */
export type KeyIntent =
  | { kind: 'dispatch'; action: DashboardAction }
  | { kind: 'run'; command: DashboardCommand }
  | { kind: 'quit' };

/** The parts of ink's Key the view uses. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  shift?: boolean;
  return?: boolean;
}

export const KEY_HELP: readonly (readonly [string, string])[] = [
  ['↑ ↓', 'pick a node'],
  ['k', 'kill the node (SIGKILL, a crash)'],
  ['p', 'pause the node (SIGSTOP), or resume it'],
  ['r', 'restart the node'],
  ['i', 'isolate the node (partition it from all others)'],
  ['g', 'partition into two groups: space moves the picked node, enter cuts'],
  ['o', 'one-way cut from the node: pick the one it cannot reach, enter'],
  ['h', 'heal: remove every partition and link fault'],
  ['tab', `next panel: ${PANELS.map((x) => x.title).join(', ')} (or 1-${PANELS.length})`],
  ['?', 'this help (any key closes it)'],
  ['q', 'quit (also Ctrl-C)'],
];

/**
 * Maps a key to what it asks for. `k` is kill, so there is no vi-style k/j for moving (a slip would kill a
 * node); the arrows move. While help is shown, a key only closes it: no action runs by accident.
 */
export function interpretKey(input: string, key: KeyPress, state: DashboardState, nowMs: number): KeyIntent | null {
  if ((key.ctrl && input === 'c') || input === 'q') return { kind: 'quit' };
  if (state.isHelpVisible) return { kind: 'dispatch', action: { type: 'hide-help' } };
  if (input === '?') return { kind: 'dispatch', action: { type: 'toggle-help' } };
  if (key.upArrow) return { kind: 'dispatch', action: { type: 'move-selection', delta: -1 } };
  if (key.downArrow) return { kind: 'dispatch', action: { type: 'move-selection', delta: 1 } };
  if (key.pageUp || key.home) return { kind: 'dispatch', action: { type: 'move-selection', delta: -Infinity } };
  if (key.pageDown || key.end) return { kind: 'dispatch', action: { type: 'move-selection', delta: Infinity } };
  if (key.tab) return { kind: 'dispatch', action: { type: 'next-panel', delta: key.shift ? -1 : 1 } };
  const panelAt = /^[1-9]$/.test(input) ? Number(input) - 1 : -1;
  if (panelAt >= 0 && panelAt < PANELS.length) return { kind: 'dispatch', action: { type: 'show-panel', panel: PANELS[panelAt].id } };
  const refuse = (message: string): KeyIntent => ({ kind: 'dispatch', action: { type: 'command-refused', message, atMs: nowMs } });
  if (state.mode) return interpretModeKey(input, key, state, state.mode, refuse);
  if (!['k', 'p', 'r', 'i', 'h', 'g', 'o'].includes(input) || key.ctrl) return null;
  if (state.pending) return refuse(`busy: ${describeCommand(state.pending.command)} is still running`);
  if (input === 'h') return { kind: 'run', command: { kind: 'heal' } };
  const node = state.snapshot?.status.nodes.find((n) => n.id === state.selectedId);
  if (!node) return refuse('no node picked (no status yet)');
  if (input === 'g') {
    if ((state.snapshot?.status.nodes.length ?? 0) < 2) return refuse('a partition needs at least two nodes');
    return { kind: 'dispatch', action: { type: 'start-mode', mode: { kind: 'partition', sideA: [node.id] } } };
  }
  if (input === 'o') {
    if ((state.snapshot?.status.nodes.length ?? 0) < 2) return refuse('a one-way cut needs at least two nodes');
    return { kind: 'dispatch', action: { type: 'start-mode', mode: { kind: 'one-way', from: node.id } } };
  }
  switch (input) {
    case 'k':
      return node.state === 'stopped' ? refuse(`${node.id} is already stopped (r restarts it)`) : { kind: 'run', command: { kind: 'kill', nodeId: node.id } };
    case 'p':
      if (node.state === 'stopped') return refuse(`${node.id} is stopped; nothing to pause (r restarts it)`);
      return { kind: 'run', command: { kind: node.state === 'paused' ? 'resume' : 'pause', nodeId: node.id } };
    case 'r':
      return { kind: 'run', command: { kind: 'restart', nodeId: node.id } };
    case 'i':
      return { kind: 'run', command: { kind: 'isolate', nodeId: node.id } };
  }
  return null;
}

/** Keys while a partition or one-way choice is open: space and enter make it, Esc drops it, the rest waits. */
function interpretModeKey(input: string, key: KeyPress, state: DashboardState, mode: DashboardMode, refuse: (message: string) => KeyIntent): KeyIntent | null {
  if (key.escape) return { kind: 'dispatch', action: { type: 'cancel-mode' } };
  if (mode.kind === 'partition' && input === ' ') return { kind: 'dispatch', action: { type: 'toggle-side' } };
  if (key.return) {
    if (state.pending) return refuse(`busy: ${describeCommand(state.pending.command)} is still running`);
    if (mode.kind === 'partition') {
      const [a, b] = partitionSides(state);
      if (a.length === 0 || b.length === 0) return refuse('both sides need a node: space moves the picked node to the other side');
      return { kind: 'run', command: { kind: 'partition', groups: [a, b] } };
    }
    const to = state.selectedId;
    if (to === null || to === mode.from) return refuse(`pick the node ${mode.from} must not reach (↑↓), then enter`);
    return { kind: 'run', command: { kind: 'one-way', from: mode.from, to } };
  }
  if (['k', 'p', 'r', 'i', 'h', 'g', 'o'].includes(input)) return refuse(`finish the ${mode.kind} first: enter cuts, esc cancels`);
  return null;
}

export function describeCommand(c: DashboardCommand): string {
  switch (c.kind) {
    case 'heal':
      return 'heal';
    case 'partition':
      return `partition ${c.groups[0].join(',')} | ${c.groups[1].join(',')}`;
    case 'one-way':
      return `one-way ${c.from} ↛ ${c.to}`;
    default:
      return `${c.kind} ${c.nodeId}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Node rows

/** How a cell should look; theme.ts maps tones to colours. */
export type Tone = 'good' | 'info' | 'accent' | 'warn' | 'bad' | 'muted' | 'plain';

export interface NodeRowView {
  id: string;
  /** The address the node answers on. */
  host: string;
  isSelected: boolean;
  /** Named emergent leader by most nodes' views. */
  isEmergentLeader: boolean;
  /** leader / follower / candidate / pre-cand / member / core; or stopped / paused / silent when it cannot say. */
  role: string;
  roleTone: Tone;
  term: string;
  commit: string;
  /** Leader's last index − this node's applied index. */
  lag: string;
  lagTone: Tone;
  /** This node's membership view: alive/suspect/dead counts. */
  gossip: string;
  gossipTone: Tone;
  /** Highest phi this node holds for any peer, when the node reports it. */
  phi: string;
  phiTone: Tone;
  health: string;
  healthTone: Tone;
  /** The emergent leader in this node's own view (differs across a partition). */
  sees: string;
  seesTone: Tone;
  uptime: string;
  restarts: string;
  pid: string;
  /** applied/last index, for the wide layout. */
  indexes: string;
  incarnation: string;
  /** Reach summary: `all`, `2/4`, `-`. */
  reach: string;
  reachTone: Tone;
}

/** Fields other engineers may add to a node's gossip view; read only when present (see the report on hooks). */
interface GossipExtras {
  /** Highest phi over peers. */
  maxPhi?: number;
  /** Phi per peer. */
  phi?: Record<string, number>;
}
/** Health monitor verdict, if /v1/status carries it. */
interface HealthExtras {
  health?: { status?: string } | string;
}

export function nodeRows(snapshot: DashboardSnapshot, selectedId: string | null, nowMs: number): NodeRowView[] {
  const nodes = snapshot.status.nodes;
  const leader = currentLeader(nodes);
  const emergent = majorityEmergentLeader(nodes);
  const reach = snapshot.reachability;
  const age = nowMs - snapshot.fetchedAtMs;
  return nodes.map((n) => {
    const canSay = n.state === 'running' && n.responding;
    const raft = canSay ? n.raft : undefined;
    const gossip = canSay ? n.gossip : undefined;
    const [role, roleTone] = roleOf(n, leader?.id ?? null);
    const lag = raft && leader?.raft ? Math.max(0, leader.raft.lastIndex - raft.applied) : null;
    const detail = canSay ? snapshot.nodeDetails?.[n.id] : undefined;
    const phi = detail?.maxPhi ?? readPhi(gossip);
    const [health, healthTone] = healthOf(n, gossip, detail?.health ?? null);
    const sees = gossip ? (gossip.emergentLeader ?? 'none') : '-';
    const others = nodes.length - 1;
    let reachText = '-';
    let reachTone: Tone = 'muted';
    if (reach && canSay) {
      const ok = nodes.filter((o) => o.id !== n.id && reach[n.id]?.[o.id]).length;
      reachText = ok === others ? 'all' : `${ok}/${others}`;
      reachTone = ok === others ? 'good' : 'warn';
    }
    return {
      id: n.id,
      host: n.host ?? '-',
      isSelected: n.id === selectedId,
      isEmergentLeader: emergent !== null && emergent === n.id,
      role,
      roleTone,
      term: raft ? String(raft.term) : '-',
      commit: raft ? String(raft.commit) : '-',
      lag: lag === null ? '-' : String(lag),
      lagTone: lag === null ? 'muted' : lag === 0 ? 'good' : lag < 100 ? 'warn' : 'bad',
      gossip: gossip ? `${gossip.alive}/${gossip.suspect}/${gossip.dead}` : '-',
      gossipTone: !gossip ? 'muted' : gossip.dead > 0 ? 'bad' : gossip.suspect > 0 ? 'warn' : 'good',
      phi: phi === null ? '-' : phi >= 100 ? '99+' : phi.toFixed(1),
      phiTone: phi === null ? 'muted' : phi >= 8 ? 'bad' : phi >= 3 ? 'warn' : 'good',
      health,
      healthTone,
      sees,
      seesTone: sees === '-' ? 'muted' : emergent !== null && sees !== emergent ? 'warn' : 'plain',
      // Uptime as of now: the poll's value plus the time since it was taken.
      uptime: n.uptimeMs === null || !canSay ? '-' : formatUptime(n.uptimeMs + Math.max(0, age)),
      restarts: String(n.restarts),
      pid: n.pid === null ? '-' : String(n.pid),
      indexes: raft ? `${raft.applied}/${raft.lastIndex}` : '-',
      incarnation: gossip ? String(gossip.incarnation) : '-',
      reach: reachText,
      reachTone,
    };
  });
}

/** The leader the cluster follows: a responding node in the leader role, the highest term if two claim it. */
export function currentLeader(nodes: NodeStatusRow[]): NodeStatusRow | null {
  let best: NodeStatusRow | null = null;
  for (const n of nodes) {
    if (n.state !== 'running' || !n.responding || n.raft?.role !== 'leader') continue;
    if (!best || n.raft.term > best.raft!.term) best = n;
  }
  return best;
}

/** The emergent leader most responding nodes name (ties: none), or null when no node reports gossip. */
export function majorityEmergentLeader(nodes: NodeStatusRow[]): string | null {
  const votes = new Map<string, number>();
  for (const n of nodes) {
    const l = n.state === 'running' && n.responding ? n.gossip?.emergentLeader : undefined;
    if (l) votes.set(l, (votes.get(l) ?? 0) + 1);
  }
  const sorted = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  if (sorted.length === 0 || (sorted.length > 1 && sorted[0][1] === sorted[1][1])) return null;
  return sorted[0][0];
}

function roleOf(n: NodeStatusRow, leaderId: string | null): [string, Tone] {
  if (n.state === 'stopped') return ['stopped', 'bad'];
  if (n.state === 'paused') return ['paused', 'warn'];
  if (!n.responding) return ['silent', 'bad'];
  const r = n.raft?.role;
  if (!r) return [n.kind === 'core' ? 'core' : 'member', n.kind === 'core' ? 'plain' : 'muted'];
  if (r === 'leader') return [n.id === leaderId ? 'leader' : 'leader?', n.id === leaderId ? 'accent' : 'warn'];
  if (r === 'follower') return ['follower', 'good'];
  if (r === 'pre-candidate') return ['pre-cand', 'warn'];
  if (r === 'candidate') return ['candidate', 'warn'];
  return [r, 'plain'];
}

function readPhi(gossip: GossipSummaryView | undefined): number | null {
  if (!gossip) return null;
  const g = gossip as GossipSummaryView & GossipExtras;
  if (typeof g.maxPhi === 'number' && Number.isFinite(g.maxPhi)) return g.maxPhi;
  if (g.phi && typeof g.phi === 'object') {
    const values = Object.values(g.phi).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) return Math.max(...values);
  }
  return null;
}

/**
 * The health monitor's verdict when the node reports one (passing/warning/critical); otherwise Lifeguard's
 * local health score from gossip (0 is healthy, higher means the node doubts its own timeliness).
 */
function healthOf(n: NodeStatusRow, gossip: GossipSummaryView | undefined, verdict: string | null): [string, Tone] {
  if (n.state !== 'running' || !n.responding) return ['-', 'muted'];
  const h = (n as NodeStatusRow & HealthExtras).health;
  const status = verdict ?? (typeof h === 'string' ? h : h?.status);
  if (typeof status === 'string') return [status, status === 'passing' ? 'good' : status === 'warning' ? 'warn' : status === 'critical' ? 'bad' : 'plain'];
  if (gossip) return [gossip.healthScore === 0 ? 'ok' : `lg ${gossip.healthScore}`, gossip.healthScore === 0 ? 'good' : 'warn'];
  return ['-', 'muted'];
}

function formatUptime(ms: number): string {
  // Whole seconds: a live view should not churn digits every frame.
  return ms < 60_000 ? `${Math.floor(ms / 1000)}s` : formatDuration(ms);
}

// ---------------------------------------------------------------------------------------------------------
// Reachability matrix

/** One cell: a's message got through to b (`ok`), did not (`cut`), a or b is down, or not probed yet. */
export type ReachCell = 'self' | 'ok' | 'cut' | 'down' | 'unknown';

export interface MatrixView {
  ids: string[];
  rows: { id: string; cells: ReachCell[] }[];
  /** Sides of live nodes: linked (in at least one direction) within a side, cut both ways between sides. */
  groups: string[][];
  /** Cut links within a side: `n1↔n3` (both ways) or `n1→n2` (n1's messages do not reach n2). */
  cuts: string[];
  /** One line: `all 5 up reach each other`, `partitioned: n1 | n2 n3 n4 n5`, `cut: n1→n2`, `not probed yet`. */
  summary: string;
  summaryTone: Tone;
  /** How old the probe is, for the title. */
  probedAgo: string | null;
}

export function matrixView(snapshot: DashboardSnapshot, nowMs: number): MatrixView {
  const nodes = snapshot.status.nodes;
  const ids = nodes.map((n) => n.id);
  const up = new Set(nodes.filter((n) => n.state === 'running' && n.responding).map((n) => n.id));
  const reach = snapshot.reachability;
  // A node that (re)started after the probe was not there for it: its cells say nothing about now.
  const probeAgeMs = snapshot.reachabilityProbedAtMs === null ? null : snapshot.fetchedAtMs - snapshot.reachabilityProbedAtMs;
  const isNewerThanProbe = new Set(nodes.filter((n) => probeAgeMs !== null && n.uptimeMs !== null && n.uptimeMs < probeAgeMs).map((n) => n.id));
  const cell = (a: string, b: string): ReachCell => {
    if (a === b) return 'self';
    if (!up.has(a) || !up.has(b)) return 'down';
    if (!reach || reach[a]?.[b] === undefined || isNewerThanProbe.has(a) || isNewerThanProbe.has(b)) return 'unknown';
    return reach[a][b] ? 'ok' : 'cut';
  };
  const rows = ids.map((a) => ({ id: a, cells: ids.map((b) => cell(a, b)) }));
  const live = ids.filter((id) => up.has(id) && !isNewerThanProbe.has(id));
  const groups: string[][] = [];
  const cuts: string[] = [];
  if (reach) {
    // Sides: nodes joined by a link that works in at least one direction (a one-way cut is not a partition).
    const seen = new Set<string>();
    for (const start of live) {
      if (seen.has(start)) continue;
      const group: string[] = [];
      const stack = [start];
      seen.add(start);
      while (stack.length > 0) {
        const a = stack.pop()!;
        group.push(a);
        for (const b of live) if (!seen.has(b) && (reach[a]?.[b] || reach[b]?.[a])) (seen.add(b), stack.push(b));
      }
      groups.push(group.sort((x, y) => ids.indexOf(x) - ids.indexOf(y)));
    }
    // Cut links between live nodes on the same side: both ways (a↔b) or one way (a→b).
    for (const [i, a] of live.entries())
      for (const b of live.slice(i + 1)) {
        const ab = reach[a]?.[b] === true;
        const ba = reach[b]?.[a] === true;
        if (!ab && !ba) {
          if (groups.some((g) => g.includes(a) && g.includes(b))) cuts.push(`${a}↔${b}`);
        } else if (!ab) cuts.push(`${a}→${b}`);
        else if (!ba) cuts.push(`${b}→${a}`);
      }
  }
  let summary: string;
  let summaryTone: Tone;
  if (!reach) [summary, summaryTone] = ['not probed yet', 'muted'];
  else if (live.length === 0) [summary, summaryTone] = ['no node answering', 'bad'];
  else if (groups.length > 1) [summary, summaryTone] = [`partitioned: ${groups.map((g) => g.join(' ')).join(' | ')}`, 'bad'];
  else if (cuts.length > 0) [summary, summaryTone] = [`cut: ${cuts.join(', ')}`, 'warn'];
  else [summary, summaryTone] = [`${live.length === 1 ? 'only 1 node up' : `all ${live.length} up reach each other`}`, live.length === ids.length ? 'good' : 'warn'];
  const unprobed = ids.filter((id) => up.has(id) && isNewerThanProbe.has(id));
  if (reach && unprobed.length > 0) summary += ` (${unprobed.join(' ')} started since the probe)`;
  const probedAgo = snapshot.reachabilityProbedAtMs === null ? null : `${Math.max(0, Math.round((nowMs - snapshot.reachabilityProbedAtMs) / 1000))}s ago`;
  return { ids, rows, groups, cuts, summary, summaryTone, probedAgo };
}

// ---------------------------------------------------------------------------------------------------------
// Leases, config versions

export interface PanelView<Row> {
  /** Rows to show; empty with `note` set when there is nothing (or no source). */
  rows: Row[];
  /** `(none)`, `(no lease source yet)`, or the source's error. */
  note: string | null;
  noteTone: Tone;
}

export interface LeaseRowView {
  resource: string;
  holder: string;
  token: string;
  /** Time left, counting down with `nowMs`; `expired` at zero. */
  ttl: string;
  ttlTone: Tone;
  /** Share of the time held and grants (`63% 12×`), when the leader's figures came with it. */
  use?: string;
}

export function leasesView(snapshot: DashboardSnapshot, nowMs: number): PanelView<LeaseRowView> {
  if (snapshot.leasesError !== undefined) return { rows: [], note: `error: ${oneLine(snapshot.leasesError)}`, noteTone: 'bad' };
  if (snapshot.leases === undefined) return { rows: [], note: '(no lease source yet)', noteTone: 'muted' };
  if (snapshot.leases.length === 0) return { rows: [], note: '(none)', noteTone: 'muted' };
  const elapsed = Math.max(0, nowMs - snapshot.fetchedAtMs);
  const rows = [...snapshot.leases]
    .sort((a, b) => a.resource.localeCompare(b.resource))
    .map((l) => {
      const left = l.remainingMs - elapsed;
      return {
        resource: oneLine(l.resource),
        holder: oneLine(l.holder),
        token: oneLine(String(l.token)),
        ttl: left <= 0 ? 'expired' : `${Math.ceil(left / 1000)}s`,
        ttlTone: (left <= 0 ? 'bad' : left < Math.min(3000, l.ttlMs / 3) ? 'warn' : 'good') as Tone,
        ...(l.heldFraction !== undefined ? { use: `${Math.round(l.heldFraction * 100)}% ${l.grants ?? 0}×` } : {}),
      };
    });
  return { rows, note: null, noteTone: 'plain' };
}

export interface ConfigRowView {
  nodeId: string;
  version: string;
  /** `current`, `behind 2`, `?`. */
  state: string;
  tone: Tone;
}

/**
 * Config versions from the config source when one is wired; otherwise from what nodes publish in their gossip
 * meta (node details), when any node publishes one.
 */
export function configView(snapshot: DashboardSnapshot): PanelView<ConfigRowView> {
  if (snapshot.configVersionsError !== undefined) return { rows: [], note: `error: ${oneLine(snapshot.configVersionsError)}`, noteTone: 'bad' };
  const details = snapshot.nodeDetails;
  const gossiped =
    details && Object.values(details).some((d) => d.configVersion !== null)
      ? snapshot.status.nodes.map((n) => ({ nodeId: n.id, version: details[n.id]?.configVersion ?? null }))
      : undefined;
  const versions = snapshot.configVersions ?? gossiped;
  if (versions === undefined) return { rows: [], note: '(no config source yet)', noteTone: 'muted' };
  if (versions.length === 0) return { rows: [], note: '(none)', noteTone: 'muted' };
  const known = versions.map((c) => c.version).filter((v): v is number => v !== null);
  const newest = known.length > 0 ? Math.max(...known) : null;
  const rows = versions.map((c): ConfigRowView => {
    if (c.version === null || newest === null) return { nodeId: c.nodeId, version: '-', state: '?', tone: 'muted' };
    const behind = newest - c.version;
    return { nodeId: c.nodeId, version: `v${c.version}`, state: behind === 0 ? 'current' : `behind ${behind}`, tone: behind === 0 ? 'good' : 'warn' };
  });
  return { rows, note: null, noteTone: 'plain' };
}

// ---------------------------------------------------------------------------------------------------------
// Events panel

export interface EventLineView {
  /** HH:MM:SS local time. */
  time: string;
  source: string;
  text: string;
  tone: Tone;
  /** A result of a key pressed here, not a cluster event. */
  isAction: boolean;
}

/**
 * The latest `count` lines: cluster events and this view's action results, in time order. A run of events of one
 * type (gossip's `member-updated` from every node after one change) collapses into one line: `member-updated ×12
 * (n1 n2 n3 +2): <the latest message>`.
 */
export function eventLines(events: ClusterEvent[], actionLog: ActionLogEntry[], count: number): EventLineView[] {
  if (count <= 0) return [];
  const merged: { ts: number; order: number; type: string | null; line: EventLineView; message: string; source: string }[] = [];
  // Enough raw events that `count` lines remain after collapsing runs.
  events.slice(-count * EVENT_COLLAPSE_LOOKBACK).forEach((e, i) => {
    const source = shortSource(oneLine(e.source));
    merged.push({ ts: e.ts, order: i, type: e.type, message: oneLine(e.message), source, line: { time: clockTime(e.ts), source, text: oneLine(`${e.type}: ${e.message}`), tone: eventTone(e.type), isAction: false } });
  });
  actionLog.slice(-count).forEach((a, i) =>
    merged.push({
      ts: a.atMs,
      // After events of the same ms: the result follows what it caused.
      order: 1e6 + i,
      type: null,
      message: '',
      source: 'you',
      line: { time: clockTime(a.atMs), source: 'you', text: `${a.isOk ? '✓' : '✗'} ${oneLine(a.message)}`, tone: a.isOk ? 'good' : 'bad', isAction: true },
    }),
  );
  merged.sort((a, b) => a.ts - b.ts || a.order - b.order);
  const lines: EventLineView[] = [];
  for (let i = 0; i < merged.length; ) {
    const first = merged[i];
    let j = i + 1;
    while (first.type !== null && j < merged.length && merged[j].type === first.type) j++;
    if (j - i === 1) lines.push(first.line);
    else {
      const run = merged.slice(i, j);
      const last = run[run.length - 1];
      const sources = [...new Set(run.map((m) => m.source))];
      const who = sources.length <= 3 ? sources.join(' ') : `${sources.slice(0, 3).join(' ')} +${sources.length - 3}`;
      lines.push({ ...last.line, source: sources.length === 1 ? last.source : '…', text: `${first.type} ×${run.length}${sources.length === 1 ? '' : ` (${who})`}: ${last.message}` });
    }
    i = j;
  }
  return lines.slice(-count);
}

/** How many raw events per shown line eventLines reads, so collapsed runs still leave a full panel. */
const EVENT_COLLAPSE_LOOKBACK = 8;

/** Sources fit a 4-character column: node ids do; `supervisor` becomes `sup`. */
function shortSource(source: string): string {
  return source === 'supervisor' ? 'sup' : source;
}

function eventTone(type: string): Tone {
  if (/kill|dead|crash|stopping|expired|lost|fail|critical/.test(type)) return 'bad';
  if (/suspect|pause|partition|fault|isolat|warn|election|candidate/.test(type)) return 'warn';
  if (/leader|elected|heal|resume|alive|started|up$/.test(type)) return 'info';
  return 'plain';
}

/**
 * Text from outside (event messages, errors, lease holders) as one line: newlines would add lines to a frame
 * of fixed height, and control characters (ESC) could move the cursor.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[ \t]*[\r\n]+[ \t]*/g, ' ').replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** HH:MM:SS in the viewer's local time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------------------------------------------------
// Header and notices

export interface HeaderView {
  title: string;
  /** `5 nodes: 4 running, 1 stopped`. */
  counts: string;
  countsTone: Tone;
  /** `leader n2 · term 7` or `no leader`. */
  leader: string;
  leaderTone: Tone;
  clock: string;
  /** Active faults, in words, joined. */
  faults: string | null;
}

export function headerView(state: DashboardState, nowMs: number): HeaderView {
  const s = state.snapshot;
  if (!s) return { title: 'ccm', counts: 'connecting…', countsTone: 'muted', leader: '', leaderTone: 'muted', clock: clockTime(nowMs), faults: null };
  const nodes = s.status.nodes;
  const by = (st: NodeStatusRow['state']): number => nodes.filter((n) => n.state === st).length;
  const silent = nodes.filter((n) => n.state === 'running' && !n.responding).length;
  const parts = [`${by('running') - silent} up`];
  if (silent) parts.push(`${silent} silent`);
  if (by('paused')) parts.push(`${by('paused')} paused`);
  if (by('stopped')) parts.push(`${by('stopped')} stopped`);
  const leader = currentLeader(nodes);
  const hasRaft = nodes.some((n) => n.raft);
  return {
    title: `ccm · ${s.status.cluster}`,
    counts: `${nodes.length} nodes: ${parts.join(', ')}`,
    countsTone: parts.length === 1 ? 'good' : 'warn',
    leader: leader ? `leader ${leader.id} · term ${leader.raft!.term}` : hasRaft ? 'no leader' : '',
    leaderTone: leader ? 'accent' : 'bad',
    clock: clockTime(nowMs),
    faults: s.status.faults.length > 0 ? oneLine(s.status.faults.join('; ')) : null,
  };
}

/** How long a command's result stays on the notice line (it stays in the events panel until events push it out). */
export const ACTION_NOTICE_MS = 10_000;

/**
 * The line under the header: a failed poll, a running command, the last command's result for a few seconds
 * (a busy cluster can push it out of the events panel at once), or nothing (an empty line keeps the frame still).
 */
export function noticeView(state: DashboardState, nowMs: number): { text: string; tone: Tone } {
  if (state.pollError) {
    // The age first: a long message is cut at the right edge.
    const age = state.snapshot ? `; showing data from ${Math.max(0, Math.round((nowMs - state.snapshot.fetchedAtMs) / 1000))}s ago` : '';
    return { text: `poll failed (${state.pollError.consecutive}×${age}): ${oneLine(state.pollError.message)}`, tone: 'bad' };
  }
  if (state.pending) return { text: `running: ${describeCommand(state.pending.command)}…`, tone: 'info' };
  if (state.mode?.kind === 'partition') {
    const [a, b] = partitionSides(state);
    return { text: `partition: ${a.join(' ') || '(empty)'} | ${b.join(' ') || '(empty)'} · space moves the picked node, enter cuts, esc cancels`, tone: 'warn' };
  }
  if (state.mode?.kind === 'one-way') {
    const to = state.selectedId !== null && state.selectedId !== state.mode.from ? state.selectedId : '?';
    return { text: `one-way: ${state.mode.from} ↛ ${to} · ↑↓ pick the node it cannot reach, enter cuts, esc cancels`, tone: 'warn' };
  }
  const last = state.actionLog.at(-1);
  if (last && nowMs - last.atMs < ACTION_NOTICE_MS) return { text: `${last.isOk ? '✓' : '✗'} ${oneLine(last.message)}`, tone: last.isOk ? 'good' : 'bad' };
  return { text: '', tone: 'plain' };
}

// ---------------------------------------------------------------------------------------------------------
// Layout: what fits in the terminal

export interface DashboardLayout {
  kind: 'compact' | 'normal' | 'wide';
  columns: number;
  /** Lines the frame may use: one less than the terminal, so ink never falls back to clearing the screen. */
  height: number;
  /** Node rows shown (a window around the selection when not all fit). */
  tableRows: number;
  /** 'matrix': the full matrix with the lease and config panels beside it; 'summary': one line each. */
  middle: 'matrix' | 'summary' | 'none';
  /** Lines of the middle section (matrix, leases, config). */
  middleHeight: number;
  /** Event lines shown (not counting the panel title). */
  eventLines: number;
}

export const COMPACT_BELOW = { columns: 60, rows: 15 } as const;
export const WIDE_FROM_COLUMNS = 130;
/** Header, notice line, key bar. */
const CHROME_LINES = 3;

/**
 * Splits the terminal between the parts by priority: header and key bar, every node row, at least a few event
 * lines, the full matrix when it fits, then the rest to events. The frame stays within rows − 1 lines and
 * `columns` characters, so ink redraws in place instead of clearing the screen.
 */
export function chooseLayout(columns: number, rows: number, nodeCount: number): DashboardLayout {
  const height = Math.max(1, rows - 1);
  if (columns < COMPACT_BELOW.columns || rows < COMPACT_BELOW.rows) {
    // Header, one line per node, the notice line, what is left for events, the key hint.
    const tableRows = Math.max(0, Math.min(nodeCount, height - CHROME_LINES));
    return { kind: 'compact', columns, height, tableRows, middle: 'none', middleHeight: 0, eventLines: Math.max(0, height - CHROME_LINES - tableRows) };
  }
  const kind = columns >= WIDE_FROM_COLUMNS ? 'wide' : 'normal';
  let budget = height - CHROME_LINES;
  const minEvents = 1 + 2;
  const summaryHeight = 2;
  const tableRows = Math.max(Math.min(nodeCount, 3), Math.min(nodeCount, budget - 1 - minEvents - summaryHeight));
  budget -= 1 + tableRows;
  // Title, column ids, one row per node, and the partition summary under the panels.
  const matrixHeight = nodeCount + 3;
  const matrixWidth = 6 + 3 * nodeCount;
  let middle: DashboardLayout['middle'];
  let middleHeight: number;
  if (budget - matrixHeight >= minEvents && matrixWidth <= columns - 40) [middle, middleHeight] = ['matrix', Math.max(matrixHeight, 5)];
  else if (budget - summaryHeight >= minEvents) [middle, middleHeight] = ['summary', summaryHeight];
  else [middle, middleHeight] = ['none', 0];
  budget -= middleHeight;
  return { kind, columns, height, tableRows, middle, middleHeight, eventLines: Math.max(0, budget - 1) };
}

/** The first node row to show so that the selected one is inside a window of `size` rows. */
export function tableWindowStart(ids: string[], selectedId: string | null, size: number): number {
  if (size >= ids.length) return 0;
  const at = Math.max(0, selectedId === null ? 0 : ids.indexOf(selectedId));
  return Math.min(Math.max(0, at - Math.floor(size / 2)), ids.length - size);
}
