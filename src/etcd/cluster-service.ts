/**
 * etcd's Cluster (MemberList), Maintenance (Status, Alarm, MoveLeader) and Auth (Authenticate, AuthStatus) on ccm:
 * the members are the core's voters and learners (the nodes that hold the data), each with its etcd endpoint.
 * Membership changes go through `ccm core add|promote|remove`, not etcd's MemberAdd.
 */
import type { Static } from '@sinclair/typebox';
import type { EtcdContext, ResponseHeader } from './etcd-context.js';
import { ETCD_ERRORS } from './etcd-errors.js';
import type { AlarmRequest, AuthenticateRequest, MoveLeaderRequest } from './etcd-requests.js';

/** The etcd API version ccm answers with (the v3 API as etcd 3.4 serves it). */
export const ETCD_API_VERSION = '3.4.0';

interface MemberMessage {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

function members(ctx: EtcdContext): MemberMessage[] {
  const raft = ctx.backend.raft();
  const nodes = ctx.backend.nodes();
  const member = (id: string, isLearner: boolean): MemberMessage => {
    const n = nodes[id];
    return {
      ID: ctx.memberId(id),
      name: id,
      peerURLs: n ? [`http://${n.host}:${n.peerPort}`] : [],
      clientURLs: n?.etcdPort ? [`http://${n.host}:${n.etcdPort}`] : [],
      isLearner,
    };
  };
  return [...raft.voters.map((id) => member(id, false)), ...raft.learners.map((id) => member(id, true))];
}

export function memberList(ctx: EtcdContext): { header: ResponseHeader; members: MemberMessage[] } {
  return { header: ctx.header(), members: members(ctx) };
}

export function status(ctx: EtcdContext): Record<string, unknown> {
  const raft = ctx.backend.raft();
  const size = ctx.backend.databaseBytes();
  return {
    header: ctx.header(),
    version: ETCD_API_VERSION,
    dbSize: size,
    leader: raft.leaderId === null ? '0' : ctx.memberId(raft.leaderId),
    raftIndex: raft.lastIndex,
    raftTerm: raft.term,
    raftAppliedIndex: raft.appliedIndex,
    errors: [],
    dbSizeInUse: size,
    isLearner: raft.learners.includes(ctx.backend.nodeId),
  };
}

/** ccm raises no alarms (no space quota): a query finds none, and (de)activation changes nothing. */
export function alarm(ctx: EtcdContext, _r: Static<typeof AlarmRequest>): { header: ResponseHeader; alarms: never[] } {
  return { header: ctx.header(), alarms: [] };
}

export async function moveLeader(ctx: EtcdContext, r: Static<typeof MoveLeaderRequest>, deadlineMs: number): Promise<{ header: ResponseHeader }> {
  const raft = ctx.backend.raft();
  const target = raft.voters.find((id) => ctx.memberId(id) === r.targetID);
  if (!target) throw ETCD_ERRORS.badLeaderTransferee;
  await ctx.backend.transferLeader(target, deadlineMs);
  return { header: ctx.header() };
}

/**
 * Who may use the API. `check` is given a token (the password of etcd's Authenticate, or the token a client sends
 * in its metadata) and says whether it is one of the cluster's tokens; null leaves the API open (auth disabled).
 * `isAdmin` says whether a token (one `check` accepts) may also do what etcd keeps for its root user (MoveLeader);
 * without it, no token may.
 */
export interface EtcdAuth {
  check: ((token: string) => boolean) | null;
  isAdmin?: (token: string) => boolean;
}

export function authenticate(ctx: EtcdContext, auth: EtcdAuth, r: Static<typeof AuthenticateRequest>): { header: ResponseHeader; token: string } {
  if (!auth.check) throw ETCD_ERRORS.authNotEnabled;
  if (r.name === '') throw ETCD_ERRORS.userEmpty;
  if (!auth.check(r.password)) {
    ctx.refuse('authentication failed');
    throw ETCD_ERRORS.authFailed;
  }
  // The token clients then send is the client token itself: it is what `check` accepts.
  return { header: ctx.header(), token: r.password };
}

export function authStatus(ctx: EtcdContext, auth: EtcdAuth): { header: ResponseHeader; enabled: boolean; authRevision: number } {
  return { header: ctx.header(), enabled: auth.check !== null, authRevision: 0 };
}
