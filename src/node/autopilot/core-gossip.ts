import { CcmError } from '../../errors/ccm-error.js';
import type { MemberView } from '../../swim/index.js';
import type { CoreService } from '../core/core-service.js';
import { healthSummaryOf, compareNodeIds, type GossipDriver } from '../gossip/gossip-driver.js';
import { RAFT_LAG_CHECK, raftLagResult } from '../health/health-checks.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';
import type { RaftDriver } from '../raft/raft-driver.js';

/** What a replica publishes in gossip meta under `core`: slow-moving, so it costs nothing between elections. */
export interface CoreMeta {
  role: 'voter' | 'learner' | 'removed';
  raftRole: string;
  term: number;
  leader: string | null;
}

/** How often a replica compares its Raft role with what it last published. */
const PUBLISH_INTERVAL_MS = 250;
/** Longest a new learner gets to catch up before it is promoted (or the replacement gives up). */
const CATCH_UP_TIMEOUT_MS = 60_000;

/**
 * Ties the consistent core to the gossip layer, both ways:
 * - each replica publishes its Raft role, term and leader in gossip meta, so members (which run no Raft) find
 *   the leader and the voters from their own view, and `ccm members` shows who is in the core;
 * - each replica registers the `raft-lag` health check;
 * - self-healing: when a voter has been dead (in gossip) past `coreReplaceAfterMs` and the Raft leader also hears
 *   nothing from it, the leader replaces it with a healthy member: add it as a learner, wait until it has caught
 *   up, promote it, remove the dead voter — so the core keeps its size (Consul's autopilot does the same).
 */
export function connectCoreToGossip(node: NodeRuntime, core: CoreService, gossip: GossipDriver, monitor: HealthMonitor): NodeSubsystem {
  // Its timers (one more when this node becomes a replica), stopped with the node.
  const timers: NodeJS.Timeout[] = [];
  core.coreView = () => coreViewFromGossip(gossip);
  const onReplica = (driver: RaftDriver): void => {
    timers.push(publishRole(node, gossip, driver));
    registerLagCheck(monitor, driver);
  };
  core.whenReplica(onReplica);
  // Voters reported dead; checked every second while they stay dead, so a moment when the leader could not act
  // (an election, Raft still hearing from it) is not the end of it.
  const deadVoters = new Set<string>();
  let isReplacing = false;
  gossip.onMemberDeadFor(node.config.settings.coreReplaceAfterMs, (notice) => deadVoters.add(notice.id));
  const timer = setInterval(() => {
    const driver = core.replica();
    if (!driver || !driver.isLeader() || isReplacing || deadVoters.size === 0) return;
    const status = driver.raft.status();
    const states = new Map(gossip.members().map((m) => [m.id, m.state]));
    for (const id of [...deadVoters]) {
      if (states.get(id) !== 'dead' || !status.confState.voters.includes(id)) {
        deadVoters.delete(id);
        continue;
      }
      // Gossip and Raft must agree it is gone: a voter that Raft still hears from is only cut off from gossip.
      if (status.progress[id]?.recentActive) continue;
      isReplacing = true;
      void replaceVoter(node, gossip, driver, id)
        .then(() => deadVoters.delete(id))
        .catch((err: Error) => node.log.event('core-replace-failed', `could not replace voter ${id} yet: ${err.message}`, { voter: id }))
        .finally(() => (isReplacing = false));
      return;
    }
  }, 1000);
  timer.unref();
  timers.push(timer);
  return { stop: async () => timers.forEach((t) => clearInterval(t)) };
}

function publishRole(node: NodeRuntime, gossip: GossipDriver, driver: RaftDriver): NodeJS.Timeout {
  const timer = setInterval(() => {
    const s = driver.raft.basicStatus();
    const conf = driver.raft.status().confState;
    const id = node.config.id;
    const meta: CoreMeta = {
      role: conf.voters.includes(id) ? 'voter' : conf.learners.includes(id) ? 'learner' : conf.voters.length === 0 ? 'voter' : 'removed',
      raftRole: s.role,
      term: s.term,
      leader: s.leaderId,
    };
    try {
      gossip.setMeta({ core: meta });
    } catch {
      // the meta budget is exceeded by something else; the core still works without it
    }
  }, PUBLISH_INTERVAL_MS);
  timer.unref();
  return timer;
}

function registerLagCheck(monitor: HealthMonitor, driver: RaftDriver): void {
  try {
    monitor.registerCheckProvider(RAFT_LAG_CHECK, () => {
      const s = driver.raft.basicStatus();
      const isLeader = s.role === 'leader';
      return raftLagResult({
        entriesBehind: Math.max(0, s.commit - driver.appliedIndex()),
        lastContactMs: isLeader ? 0 : driver.lastLeaderContactMs(),
        leader: s.leaderId,
        term: s.term,
      });
    });
  } catch {
    // already registered (a replica created twice would be a bug elsewhere; the check exists either way)
  }
}

/** The core as this node's gossip view shows it: the leader with the highest term, the replicas, the highest term. */
export function coreViewFromGossip(gossip: GossipDriver): { leader: string | null; voters: string[]; term: number } {
  let leader: string | null = null;
  let bestTerm = -1;
  let term = 0;
  const voters: string[] = [];
  for (const m of gossip.members()) {
    const c = (m.meta as { core?: CoreMeta }).core;
    if (!c || m.state !== 'alive') continue;
    if (c.role === 'voter') voters.push(m.id);
    term = Math.max(term, c.term);
    if (c.raftRole === 'leader' && c.term > bestTerm) {
      leader = m.id;
      bestTerm = c.term;
    }
  }
  return { leader, voters: voters.sort(compareNodeIds), term };
}

/** The healthiest member not yet in the core: alive; passing (or unknown) before warning; never critical; then lowest id. */
export function pickReplacement(members: MemberView[], conf: { voters: string[]; learners: string[] }): string | null {
  const inCore = new Set([...conf.voters, ...conf.learners]);
  const rank = (m: MemberView): number => {
    const status = healthSummaryOf((m.meta as { health?: unknown }).health)?.status ?? 'passing';
    return status === 'passing' ? 0 : status === 'warning' ? 1 : 2;
  };
  const candidates = members
    .filter((m) => m.state === 'alive' && !inCore.has(m.id) && rank(m) < 2)
    .sort((a, b) => rank(a) - rank(b) || compareNodeIds(a.id, b.id));
  return candidates[0]?.id ?? null;
}

async function replaceVoter(node: NodeRuntime, gossip: GossipDriver, driver: RaftDriver, dead: string): Promise<void> {
  const conf = driver.raft.status().confState;
  const candidate = pickReplacement(gossip.members(), conf);
  if (!candidate) throw new CcmError('unavailable', `voter ${dead} is dead but no healthy member can replace it`);
  node.log.event('core-voter-replacing', `replacing dead voter ${dead} with ${candidate}: adding it as a learner`, { voter: dead, replacement: candidate });
  const call = 10_000;
  await driver.proposeConfChange({ type: 'add-learner', nodeId: candidate }, call);
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const s = driver.raft.status();
    if (s.role !== 'leader') throw new CcmError('not_leader', 'lost leadership while the learner caught up');
    const match = s.progress[candidate]?.match ?? 0;
    if (match >= s.commit) break;
    if (Date.now() > deadline) {
      await driver.proposeConfChange({ type: 'remove-node', nodeId: candidate }, call).catch(() => undefined);
      throw new CcmError('timeout', `${candidate} did not catch up within ${CATCH_UP_TIMEOUT_MS / 1000} s; removed it again`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await driver.proposeConfChange({ type: 'add-voter', nodeId: candidate }, call);
  await driver.proposeConfChange({ type: 'remove-node', nodeId: dead }, call);
  const after = driver.raft.status().confState;
  node.log.event('core-voter-replaced', `voter ${dead} replaced by ${candidate}: voters now ${after.voters.join(',')}`, { voter: dead, replacement: candidate, voters: after.voters });
}
