import type { MemberState } from '../swim/membership-table.js';

/** What the rule needs of a member: a MemberView fits. */
export interface LeaderCandidate {
  readonly id: string;
  readonly state: MemberState;
  readonly address?: string;
  readonly meta: { readonly joinedAtMs: number };
}

/**
 * 'oldest' (Joshi's Emergent Leader; Akka's singleton-on-oldest): earliest meta.joinedAtMs, ties by id.
 * 'lowest-address' (Akka's cluster leader): first by address, then id.
 */
export type LeaderRule = 'oldest' | 'lowest-address';

function joinedAt(c: LeaderCandidate): number {
  return Number.isFinite(c.meta?.joinedAtMs) ? c.meta.joinedAtMs : Infinity;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders candidates by the rule, best first. */
export function compareCandidates(a: LeaderCandidate, b: LeaderCandidate, rule: LeaderRule = 'oldest'): number {
  if (rule === 'lowest-address') return compareIds(a.address ?? a.id, b.address ?? b.id) || compareIds(a.id, b.id);
  const ja = joinedAt(a);
  const jb = joinedAt(b);
  if (ja !== jb) return ja < jb ? -1 : 1;
  return compareIds(a.id, b.id);
}

/**
 * The emergent leader of one node's view: among the members that view holds *alive* (suspect, dead and left do not
 * count), the first by the rule. No election round: every node computes it alone, and they agree once views
 * converge. Undefined when nobody is alive in the view.
 */
export function emergentLeader(view: readonly LeaderCandidate[], rule: LeaderRule = 'oldest'): string | undefined {
  let best: LeaderCandidate | undefined;
  for (const c of view) {
    if (c.state !== 'alive') continue;
    if (best === undefined || compareCandidates(c, best, rule) < 0) best = c;
  }
  return best?.id;
}

/** Why a view names its leader: the alive members in rule order, and the ones passed over because of their state. */
export interface LeaderExplanation {
  leader: string | undefined;
  rule: LeaderRule;
  /** Alive members, best first. */
  ranking: { id: string; joinedAtMs: number; address: string | undefined }[];
  /** Members that would rank above the leader but are not alive in this view. */
  passedOver: { id: string; state: MemberState; joinedAtMs: number }[];
}

export function explainLeader(view: readonly LeaderCandidate[], rule: LeaderRule = 'oldest'): LeaderExplanation {
  const sorted = [...view].sort((a, b) => compareCandidates(a, b, rule));
  const leader = emergentLeader(view, rule);
  const passedOver: LeaderExplanation['passedOver'] = [];
  for (const c of sorted) {
    if (c.id === leader) break;
    if (c.state !== 'alive') passedOver.push({ id: c.id, state: c.state, joinedAtMs: joinedAt(c) });
  }
  return {
    leader,
    rule,
    ranking: sorted.filter((c) => c.state === 'alive').map((c) => ({ id: c.id, joinedAtMs: joinedAt(c), address: c.address })),
    passedOver,
  };
}

/** Whether a set of views agree on one leader, and what each names. */
export interface LeaderAgreement {
  isAgreed: boolean;
  /** The leader all name, when they agree. */
  leader: string | undefined;
  /** Node id → the leader its view names (undefined: its view holds nobody alive). */
  namedBy: Record<string, string | undefined>;
  /** Nodes grouped by the leader they name, largest group first (under a partition each side may name its own). */
  groups: { leader: string | undefined; nodes: string[] }[];
}

/** Applies the rule to each node's view. Views is node id → that node's membership view. */
export function leaderAgreement(
  views: ReadonlyMap<string, readonly LeaderCandidate[]> | Readonly<Record<string, readonly LeaderCandidate[]>>,
  rule: LeaderRule = 'oldest',
): LeaderAgreement {
  const entries = views instanceof Map ? [...views.entries()] : Object.entries(views as Record<string, readonly LeaderCandidate[]>);
  const namedBy: Record<string, string | undefined> = {};
  const byLeader = new Map<string | undefined, string[]>();
  for (const [node, view] of entries) {
    const leader = emergentLeader(view, rule);
    namedBy[node] = leader;
    const group = byLeader.get(leader) ?? [];
    group.push(node);
    byLeader.set(leader, group);
  }
  const groups = [...byLeader.entries()]
    .map(([leader, nodes]) => ({ leader, nodes: nodes.sort(compareIds) }))
    .sort((a, b) => b.nodes.length - a.nodes.length || compareIds(a.leader ?? '', b.leader ?? ''));
  const isAgreed = groups.length === 1 && groups[0].leader !== undefined;
  return { isAgreed, leader: isAgreed ? groups[0].leader : undefined, namedBy, groups };
}
