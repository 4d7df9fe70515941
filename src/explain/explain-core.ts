/**
 * `ccm explain core`: why this node leads the consistent core. From the voters' recorded Raft events: the election
 * that made it leader (why it started one, its pre-vote and vote rounds, who voted for it and who refused and why),
 * what ended the previous leader's term, the last elections, and the pre-votes refused lately (a partitioned or
 * restarted node asking to lead while the others still hear from a leader).
 */
import type { ClusterEvent } from '../api/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { coreStatus } from '../cluster/core-status.js';
import { describeRefusal, type VoteRefusal } from '../raft/ready.js';
import { clock, list, recentEvents, type Explanation } from './explanation.js';

type RaftFields = { term?: number; preVote?: boolean; candidate?: string; reason?: string; from?: string | null; to?: string | null; other?: string | null; leaderTransfer?: boolean; candidateLast?: string; ownLast?: string };

function raft(e: ClusterEvent): RaftFields {
  return (e.raft ?? {}) as RaftFields;
}

const WHY_CAMPAIGN: Record<string, string> = {
  'election-timeout': 'it had heard from no leader for an election timeout (300-600 ms by default)',
  'leader-transfer': 'the leader handed leadership over to it (ccm core transfer-leader)',
  campaign: 'it was told to campaign',
};

const WHY_STEP_DOWN: Record<string, string> = {
  'check-quorum': 'it lost contact with a majority of the voters (check-quorum)',
  'higher-term': 'it saw a higher term',
  'heard-leader': 'it heard from a newer leader',
  'leader-transfer': 'it handed leadership over',
  removed: 'it was removed from the core',
};

export async function explainCore(paths: ClusterPaths): Promise<Explanation> {
  const status = await coreStatus(paths);
  const events = recentEvents(paths, { types: ['raft-*', 'node-kill', 'node-stop', 'node-pause', 'node-stopping', 'node-started'] }, 4000);
  const raftEvents = events.filter((e) => e.type.startsWith('raft-'));
  const because: string[] = [];
  const leader = status.leader;
  const term = status.term;
  const voters = status.voters.map((v) => v.id);
  const majority = Math.floor(voters.length / 2) + 1;
  let answer: string;
  if (leader === null || term === null) {
    const states = status.voters.map((v) => `${v.id} ${v.role ?? v.state}`);
    answer = `The core has no leader right now (${list(states)}): a majority of ${majority} of the ${voters.length} voters must be up and reach each other to elect one.`;
  } else {
    answer = `${leader} leads the core in term ${term}: it won that term's election with the votes of a majority (${majority} of ${voters.length} voters: ${list(voters)}).`;
    const won = [...raftEvents].reverse().find((e) => e.source === leader && e.type === 'raft-role-changed' && raft(e).to === 'leader' && raft(e).term === term);
    const started = raftEvents.filter((e) => e.source === leader && e.type === 'raft-election-started' && raft(e).term === term);
    // the step that started this campaign: follower to (pre-)candidate
    const toCandidate = [...raftEvents].reverse().find((e) => e.source === leader && e.type === 'raft-role-changed' && raft(e).from === 'follower' && (raft(e).to === 'pre-candidate' || raft(e).to === 'candidate') && (won === undefined || e.ts <= won.ts));
    if (toCandidate) {
      const reason = raft(toCandidate).reason ?? '';
      because.push(`At ${clock(toCandidate.ts)} ${leader} became a ${raft(toCandidate).to} because ${WHY_CAMPAIGN[reason] ?? reason}.`);
    }
    const preVote = started.find((e) => raft(e).preVote);
    if (preVote) {
      const granted = raftEvents.filter((e) => e.type === 'raft-vote-granted' && raft(e).preVote && raft(e).candidate === leader && raft(e).term === term).map((e) => e.source);
      because.push(
        `It asked first for pre-votes (would you vote for me in term ${term}?), which change nothing and do not raise anyone's term: ` +
          `${granted.length ? `${list(granted)} said yes, which with its own makes ${granted.length + 1} (a majority is ${majority})` : 'the answers are not in the logs'}.`,
      );
    }
    const granted = raftEvents.filter((e) => e.type === 'raft-vote-granted' && !raft(e).preVote && raft(e).candidate === leader && raft(e).term === term).map((e) => e.source);
    if (started.some((e) => !raft(e).preVote) || granted.length > 0) {
      because.push(
        `Then it voted for itself in term ${term} and asked the others: ${granted.length ? `${list(granted)} voted for it` : 'no vote for it is in the logs'} ` +
          `(a voter grants one vote per term, and only to a candidate whose log is at least as up to date as its own, Raft §5.4.1).`,
      );
    }
    const refused = raftEvents.filter((e) => e.type === 'raft-vote-refused' && raft(e).term === term);
    for (const e of refused.slice(-4)) {
      const r = raft(e);
      because.push(`${e.source} refused ${r.candidate}'s ${r.preVote ? 'pre-vote' : 'vote'} for term ${term}: ${describeRefusal(r.reason as VoteRefusal, r.other, r.candidateLast, r.ownLast)}.`);
    }
    if (won) because.push(`At ${clock(won.ts)} ${leader} counted a majority and became leader; it has sent heartbeats since, so no follower's election timer runs out.`);
    if (!won && !toCandidate) because.push(`The election of term ${term} is no longer in the logs (they keep the latest events): only its outcome is known.`);
    // the previous leader
    const changes = raftEvents.filter((e) => e.type === 'raft-leader-changed' && typeof raft(e).to === 'string');
    const previous = [...changes].reverse().find((e) => raft(e).to !== leader && (raft(e).term ?? 0) < term);
    if (previous) {
      const prev = raft(previous).to!;
      const stepDown = [...raftEvents].reverse().find((e) => e.source === prev && e.type === 'raft-role-changed' && raft(e).from === 'leader' && e.ts >= previous.ts);
      const killed = [...events].reverse().find((e) => !e.type.startsWith('raft-') && (e.node === prev || e.source === prev) && e.ts >= previous.ts && /kill|stop|pause/.test(e.type));
      const why = stepDown
        ? `because ${WHY_STEP_DOWN[raft(stepDown).reason ?? ''] ?? raft(stepDown).reason}`
        : killed
          ? `when its process went away at ${clock(killed.ts)} (${killed.message})`
          : 'when it stopped sending heartbeats (crashed, paused or cut off): the followers\' election timers ran out';
      because.push(`Before: ${prev} led in term ${raft(previous).term}; that term ended ${why}.`);
    }
    const history = new Map<number, string>();
    for (const e of changes) if (raft(e).term !== undefined) history.set(raft(e).term!, raft(e).to!);
    const last = [...history.entries()].sort((a, b) => a[0] - b[0]).slice(-6);
    if (last.length > 1) because.push(`The last elections (term: leader): ${last.map(([t, l]) => `${t}: ${l}`).join(', ')}.`);
  }
  const preRefusals = raftEvents.filter((e) => e.type === 'raft-vote-refused' && raft(e).preVote && raft(e).term !== term).slice(-3);
  for (const e of preRefusals) {
    const r = raft(e);
    because.push(`At ${clock(e.ts)} ${e.source} refused ${r.candidate}'s pre-vote for term ${r.term}: ${describeRefusal(r.reason as VoteRefusal, r.other, r.candidateLast, r.ownLast)}; so ${r.candidate} could not disrupt the leader (pre-vote).`);
  }
  return { subject: 'core', answer, because, facts: { leader, term, voters: status.voters, events: raftEvents.slice(-40) } };
}
