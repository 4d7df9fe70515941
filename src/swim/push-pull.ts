import type { MemberMeta, MemberState, MemberView, MembershipTable } from './membership-table.js';
import { isSwimMessage, metaProblem, SWIM_PROTOCOL_VERSION, type BroadcastMessage, type WireLimits } from './messages.js';

/** One member in a full-state exchange. */
export interface PushPullMember {
  id: string;
  address: string;
  state: MemberState;
  incarnation: number;
  meta: MemberMeta;
}

/** A full-state exchange over TCP (memberlist pushPull): every member we hold, in any state. Plain JSON. */
export interface PushPullState {
  v: number;
  from: string;
  /** True when the sender is joining (it asked us for the cluster). */
  join: boolean;
  members: PushPullMember[];
}

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** Our state for an exchange. */
export function buildPushPullState(selfId: string, table: MembershipTable, join: boolean): PushPullState {
  const members: PushPullMember[] = [];
  table.forEach((m: MemberView) => {
    members.push({ id: m.id, address: m.address, state: m.state, incarnation: m.incarnation, meta: m.meta });
  });
  return { v: SWIM_PROTOCOL_VERSION, from: selfId, join, members };
}

/** Validates a decoded push-pull state; returns it or a reason. Never throws. */
export function parsePushPullState(value: unknown, limits: WireLimits & { maxMembers: number }): PushPullState | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'push-pull state is not an object';
  const v = value as Record<string, unknown>;
  if (v.v !== SWIM_PROTOCOL_VERSION) return `unsupported protocol version ${String(v.v)}`;
  if (typeof v.from !== 'string' || v.from.length === 0 || v.from.length > limits.maxIdLength) return 'push-pull from must be a non-empty string';
  if (typeof v.join !== 'boolean') return 'push-pull join must be a boolean';
  if (!Array.isArray(v.members) || v.members.length > limits.maxMembers) return `push-pull members must be an array of at most ${limits.maxMembers}`;
  for (let i = 0; i < v.members.length; i++) {
    const m = v.members[i] as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || !STATES.includes(m.state as MemberState)) return `push-pull members[${i}] is malformed`;
    // Reuse the alive message's shape rules for id, address, incarnation and meta.
    const asAlive = { type: 'alive', member: m.id, address: m.address, incarnation: m.incarnation, meta: m.meta };
    if (!isSwimMessage(asAlive, limits)) {
      const problem = metaProblem(m.meta, limits.maxMetaBytes);
      return `push-pull members[${i}] is malformed${problem ? `: ${problem}` : ''}`;
    }
  }
  return value as unknown as PushPullState;
}

/**
 * The messages a remote state amounts to (memberlist mergeState): alive stays alive; left is a dead message from the
 * member itself; a remote *dead* is only a suspicion here (we prefer to check for ourselves). memberlist signs that
 * suspicion with the local name; we sign it with the remote's, so "why is n3 suspect" names who actually believed it
 * (in the simulator this also gave fewer post-heal deaths than local attribution at 100 nodes, and the same at 300).
 */
export function remoteStateToMessages(state: PushPullState): BroadcastMessage[] {
  const out: BroadcastMessage[] = [];
  for (const r of state.members) {
    switch (r.state) {
      case 'alive':
        out.push({ type: 'alive', member: r.id, address: r.address, incarnation: r.incarnation, meta: r.meta });
        break;
      case 'left':
        out.push({ type: 'dead', member: r.id, incarnation: r.incarnation, from: r.id });
        break;
      case 'dead':
      case 'suspect':
        out.push({ type: 'suspect', member: r.id, incarnation: r.incarnation, from: state.from });
        break;
    }
  }
  return out;
}

/** Push-pull period scaled to the cluster: interval · (ceil(log2 n − log2 32) + 1) above 32 members (memberlist pushPullScale). */
export function pushPullScale(intervalMs: number, n: number): number {
  const threshold = 32;
  if (n <= threshold) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1;
  return multiplier * intervalMs;
}

/** Serf's reconnect odds: try a dead member with probability numDead / numAlive (capped at 1). */
export function reconnectProbability(numDead: number, numAlive: number): number {
  if (numDead <= 0) return 0;
  if (numAlive <= 0) return 1;
  return Math.min(1, numDead / numAlive);
}
