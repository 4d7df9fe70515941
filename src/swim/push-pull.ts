import type { MemberMeta, MemberState, MemberView, MembershipTable } from './membership-table.js';
import { metaProblem, SWIM_PROTOCOL_VERSION, type BroadcastMessage, type WireLimits } from './messages.js';
import { pushPullStateCheck } from './message-schemas.js';

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

/** Our state for an exchange. */
export function buildPushPullState(selfId: string, table: MembershipTable, join: boolean): PushPullState {
  const members: PushPullMember[] = [];
  table.forEach((m: MemberView) => {
    members.push({ id: m.id, address: m.address, state: m.state, incarnation: m.incarnation, meta: m.meta });
  });
  return { v: SWIM_PROTOCOL_VERSION, from: selfId, join, members };
}

/** Validates a decoded push-pull state: its schema (message-schemas.ts), then the core's limits. Returns it or a reason. Never throws. */
export function parsePushPullState(value: unknown, limits: WireLimits & { maxMembers: number }): PushPullState | string {
  const shape = pushPullStateCheck.problem(value);
  if (shape !== undefined) return `push-pull state ${shape}`;
  const state = value as PushPullState;
  if (state.v !== SWIM_PROTOCOL_VERSION) return `unsupported protocol version ${state.v}`;
  if (state.from.length > limits.maxIdLength) return 'push-pull from too long';
  if (state.members.length > limits.maxMembers) return `push-pull members must be an array of at most ${limits.maxMembers}`;
  for (let i = 0; i < state.members.length; i++) {
    const m = state.members[i];
    if (m.id.length > limits.maxIdLength || m.address.length > limits.maxIdLength) return `push-pull members[${i}] is malformed: id or address too long`;
    const problem = metaProblem(m.meta, limits.maxMetaBytes);
    if (problem !== undefined) return `push-pull members[${i}] is malformed: ${problem}`;
  }
  return state;
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
