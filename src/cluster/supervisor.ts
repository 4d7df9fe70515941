import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDetached } from './detached-process.js';
import type { ClusterPaths } from './cluster-dir.js';
import type { ClusterFile } from './cluster-file.js';
import { clusterProcesses, updateClusterFile } from './cluster-file.js';
import type { ProcessState } from './process-table.js';
import { backoffMs as exponentialMs } from '../time/backoff.js';

// ---- the restart policy (pure) --------------------------------------------------------------------------------

/** How the supervisor restarts a node that keeps dying: exponential backoff, and a cap after which it gives up. */
export interface RestartPolicy {
  /** Wait before the first restart after a death; doubles with each restart that did not stay up. */
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** A node running this long after its last restart is healthy again: the backoff starts over. */
  stableAfterMs: number;
  /** At most this many restarts of one node within windowMs; one more death and the supervisor gives up on it. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstBackoffMs: 500,
  maxBackoffMs: 30_000,
  stableAfterMs: 60_000,
  maxRestarts: 5,
  windowMs: 120_000,
};

/** The wait before restart number `consecutive + 1`: first · 2^consecutive, capped (0.5 s, 1 s, 2 s … 30 s). */
export function backoffMs(policy: RestartPolicy, consecutive: number): number {
  return exponentialMs(consecutive, { firstMs: policy.firstBackoffMs, maxMs: policy.maxBackoffMs });
}

/** What the supervisor sees of a node: its process (from the OS) and whether the operator wants it running. */
export type NodeObservation = 'running' | 'paused' | 'dead' | 'not-wanted';

/** What to do about a node now. `isNewDeath` marks the first observation of a death (to say so once). */
export type RestartDecision =
  | { action: 'none' }
  | { action: 'wait'; dueAtMs: number; backoffMs: number; isNewDeath: boolean }
  | { action: 'restart'; attempt: number; backoffMs: number; isNewDeath: boolean }
  | { action: 'give-up'; restartsInWindow: number; isNewDeath: boolean };

interface NodeRestartState {
  deadSinceMs: number | undefined;
  /** Restarts since the node last stayed up for stableAfterMs. */
  consecutive: number;
  /** Times of restarts within the window (older ones are pruned). */
  restartTimes: number[];
  lastRestartAtMs: number | undefined;
  isGivenUp: boolean;
}

/**
 * The restart rules, per node, over an injected time (monotonic ms): a death waits its backoff, then restarts unless the
 * node has been restarted maxRestarts times within windowMs, in which case the supervisor gives up on it until the
 * operator starts or stops it. Paused is not dead. Pure: tested with a fake clock.
 */
export class RestartTracker {
  private readonly nodes = new Map<string, NodeRestartState>();

  constructor(readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY) {}

  observe(id: string, observation: NodeObservation, nowMs: number): RestartDecision {
    const s = this.stateOf(id);
    switch (observation) {
      case 'not-wanted':
        // The operator stopped it: whatever happened before is forgotten.
        this.nodes.delete(id);
        return { action: 'none' };
      case 'running':
      case 'paused':
        s.deadSinceMs = undefined;
        if (s.isGivenUp) {
          // Someone started it by hand: it is ours to look after again, with a clean slate.
          this.nodes.delete(id);
          return { action: 'none' };
        }
        if (observation === 'running' && s.lastRestartAtMs !== undefined && nowMs - s.lastRestartAtMs >= this.policy.stableAfterMs) s.consecutive = 0;
        return { action: 'none' };
      case 'dead': {
        if (s.isGivenUp) return { action: 'none' };
        const isNewDeath = s.deadSinceMs === undefined;
        if (isNewDeath) s.deadSinceMs = nowMs;
        const wait = backoffMs(this.policy, s.consecutive);
        const dueAtMs = s.deadSinceMs! + wait;
        if (nowMs < dueAtMs) return { action: 'wait', dueAtMs, backoffMs: wait, isNewDeath };
        s.restartTimes = s.restartTimes.filter((t) => nowMs - t < this.policy.windowMs);
        if (s.restartTimes.length >= this.policy.maxRestarts) {
          s.isGivenUp = true;
          return { action: 'give-up', restartsInWindow: s.restartTimes.length, isNewDeath };
        }
        return { action: 'restart', attempt: s.consecutive + 1, backoffMs: wait, isNewDeath };
      }
    }
  }

  /** The supervisor started a new process for the node at nowMs. */
  recordRestart(id: string, nowMs: number): void {
    const s = this.stateOf(id);
    s.restartTimes.push(nowMs);
    s.consecutive++;
    s.lastRestartAtMs = nowMs;
    s.deadSinceMs = undefined;
  }

  isGivenUp(id: string): boolean {
    return this.nodes.get(id)?.isGivenUp ?? false;
  }

  private stateOf(id: string): NodeRestartState {
    let s = this.nodes.get(id);
    if (s === undefined) {
      s = { deadSinceMs: undefined, consecutive: 0, restartTimes: [], lastRestartAtMs: undefined, isGivenUp: false };
      this.nodes.set(id, s);
    }
    return s;
  }
}

// ---- the supervisor loop (I/O injected) -----------------------------------------------------------------------

/** The outcome of one restart attempt. */
export type RestartOutcome =
  | { kind: 'started'; pid: number }
  /** Nothing was started: the check under the cluster lock found the node no longer wanted or already running. */
  | { kind: 'skipped'; why: string }
  | { kind: 'failed'; pid: number | null; why: string };

/** What the supervisor needs from the world; supervisor-main.ts gives the real one, tests a fake. */
export interface SupervisorHost {
  readonly selfPid: number;
  /** Monotonic ms. */
  nowMs(): number;
  /** cluster.json, or null when the cluster is gone (down --purge). */
  readCluster(): ClusterFile | null;
  processState(pid: number | null, id: string): ProcessState;
  /** Under the cluster lock: check again that the node should run and is dead, spawn it, record it; then wait until it answers. */
  restartNode(id: string): Promise<RestartOutcome>;
  event(type: string, message: string, fields?: Record<string, unknown>): void;
}

/** Why the supervisor stops. */
export type SupervisorExit = 'cluster-removed' | 'replaced' | 'heal-off';

/**
 * Polls the node processes of one cluster and restarts those that should run but died (a `node kill`, a crash), with
 * the RestartTracker's backoff and cap. One restart per node at a time; restarts of different nodes overlap.
 */
export class Supervisor {
  private readonly tracker: RestartTracker;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly host: SupervisorHost,
    policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    this.tracker = new RestartTracker(policy);
  }

  /** One look at every node. Returns why to exit, or null to keep going. */
  poll(): SupervisorExit | null {
    const file = this.host.readCluster();
    if (file === null) return 'cluster-removed';
    if (file.supervisorPid !== this.host.selfPid) return 'replaced';
    if (!file.heal) return 'heal-off';
    const now = this.host.nowMs();
    // Local etcd members (ccm up --core etcd) are looked after as the nodes are.
    for (const node of clusterProcesses(file)) {
      if (this.inFlight.has(node.id)) continue;
      const observation: NodeObservation = node.desired === 'stopped' ? 'not-wanted' : toObservation(this.host.processState(node.pid, node.id));
      const decision = this.tracker.observe(node.id, observation, now);
      switch (decision.action) {
        case 'none':
          break;
        case 'wait':
          if (decision.isNewDeath) {
            this.host.event('node-died', `${node.id} died (pid ${node.pid ?? '-'}); restarting it in ${decision.backoffMs} ms`, {
              node: node.id,
              pid: node.pid,
              backoffMs: decision.backoffMs,
            });
          }
          break;
        case 'give-up': {
          const p = this.tracker.policy;
          this.host.event(
            'supervisor-gave-up',
            `gave up on ${node.id}: it died again after ${decision.restartsInWindow} restarts within ${Math.round(p.windowMs / 1000)} s; start it by hand (ccm node start ${node.id}) once the cause is fixed`,
            { node: node.id, restartsInWindow: decision.restartsInWindow, windowMs: p.windowMs },
          );
          break;
        }
        case 'restart':
          if (decision.isNewDeath) {
            this.host.event('node-died', `${node.id} died (pid ${node.pid ?? '-'}); restarting it now`, { node: node.id, pid: node.pid, backoffMs: 0 });
          }
          this.startRestart(node.id, decision.attempt);
          break;
      }
    }
    return null;
  }

  /** Resolves when every restart in flight has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
  }

  private startRestart(id: string, attempt: number): void {
    const run = (async () => {
      const startedAt = this.host.nowMs();
      let outcome: RestartOutcome;
      try {
        outcome = await this.host.restartNode(id);
      } catch (err) {
        outcome = { kind: 'failed', pid: null, why: (err as Error).message };
      }
      if (outcome.kind === 'skipped') return;
      this.tracker.recordRestart(id, startedAt);
      if (outcome.kind === 'started') {
        this.host.event('node-restarted', `restarted ${id} (pid ${outcome.pid}, attempt ${attempt})`, { node: id, pid: outcome.pid, attempt });
      } else {
        this.host.event('node-restart-failed', `restart of ${id} failed (attempt ${attempt}): ${outcome.why}`, { node: id, pid: outcome.pid, attempt });
      }
    })().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, run);
  }
}

function toObservation(state: ProcessState): NodeObservation {
  return state === 'stopped' ? 'dead' : state;
}

// ---- the supervisor process -----------------------------------------------------------------------------------

const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
const SUPERVISOR_STOP_GRACE_MS = 3000;

/** Whether `pid` is a live supervisor of the cluster at `dir` (not a reused pid). */
export function isSupervisorProcess(pid: number | null, dir: string): boolean {
  if (pid === null || pid <= 0) return false;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const at = args.indexOf('--dir');
    return args.some((a) => a.endsWith('supervisor-main.js')) && at >= 0 && path.resolve(args[at + 1] ?? '') === path.resolve(dir);
  } catch {
    if (fs.existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Starts the cluster's supervisor, detached (it outlives the CLI), and records its pid in cluster.json. */
export async function startSupervisor(paths: ClusterPaths): Promise<number> {
  const pid = spawnDetached(SUPERVISOR_MAIN, ['--dir', paths.dir], path.join(paths.dir, 'supervisor.log'), 'the supervisor');
  await updateClusterFile(paths, (f) => (f.supervisorPid = pid));
  return pid;
}

/** Stops a supervisor (SIGTERM, then SIGKILL after a grace period) and waits until it is gone. */
export async function stopSupervisor(pid: number | null, dir: string): Promise<boolean> {
  if (pid === null || !isSupervisorProcess(pid, dir)) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + SUPERVISOR_STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!isSupervisorProcess(pid, dir)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  const killDeadline = Date.now() + 2000;
  while (Date.now() < killDeadline && isSupervisorProcess(pid, dir)) await new Promise((r) => setTimeout(r, 20));
  return true;
}
