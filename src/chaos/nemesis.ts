/**
 * The nemesis of a chaos run: carries out a fault schedule on the real cluster (link faults through
 * cluster.json and every node's link filter, kills and pauses through signals, skew through each node's
 * clock) and records every fault it injected as an interval in the history.
 */
import type { RaftStatusView } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { nodeAction, readRunningCluster } from '../cluster/launcher.js';
import { localEtcdLeader } from '../cluster/etcd-members.js';
import type { FaultHandle, HistoryRecorder } from '../workload/history-recorder.js';
import { addFault, killNode, removeFault, restartNode, resumeNode } from './chaos-control.js';
import { describePlanned, NEMESIS_KINDS, type NodeTarget, type ScheduledFault } from './fault-schedule.js';
import { describeFault, type Fault } from '../faults/faults.js';
import { isolate } from './partition-shapes.js';

/** A fault the nemesis injected and has not stopped yet. */
interface ActiveFault {
  scheduled: ScheduledFault;
  description: string;
  handle: FaultHandle;
  /** How to undo it. */
  undo: () => Promise<void>;
}

/** Sleeps until `predicate` or the time, checking every 100 ms. */
async function waitUntil(elapsedMs: () => number, atMs: number, shouldStop: () => boolean): Promise<void> {
  while (!shouldStop()) {
    const left = atMs - elapsedMs();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, 100)));
  }
}

export class Nemesis {
  private readonly active = new Set<ActiveFault>();
  /** Faults that could not be injected (the target was down, no leader...), in words. */
  readonly skipped: string[] = [];
  /** How many faults were injected, per kind. */
  readonly injected: Record<string, number> = {};

  constructor(
    private readonly paths: ClusterPaths,
    private readonly recorder: HistoryRecorder,
    private readonly log: (line: string) => void,
    /** The clock of the log lines' stamps (default: the recorder's; an exercise stamps from its main phase). */
    private readonly stampClockMs: () => number = () => recorder.nowMs(),
  ) {}

  /** Faults active now, in words. */
  activeFaults(): string[] {
    return [...this.active].map((a) => a.description);
  }

  /**
   * Runs the schedule: each kind of fault in its own sequence, until the schedule ends or `shouldStop`.
   * When it stops early, faults still active stay active (the runner's heal removes them all).
   */
  async run(schedule: readonly ScheduledFault[], elapsedMs: () => number, shouldStop: () => boolean): Promise<void> {
    await Promise.all(
      NEMESIS_KINDS.map(async (kind) => {
        for (const scheduled of schedule.filter((s) => s.planned.nemesis === kind)) {
          await waitUntil(elapsedMs, scheduled.startMs, shouldStop);
          if (shouldStop()) return;
          const active = await this.start(scheduled).catch((err: Error) => {
            this.skip(scheduled, err.message.split('\n')[0]);
            return null;
          });
          if (active === null) continue;
          await waitUntil(elapsedMs, scheduled.endMs, shouldStop);
          if (shouldStop()) return;
          await this.stop(active);
        }
      }),
    );
  }

  /** Marks every fault still open as ended (after the runner healed the cluster). */
  healed(): void {
    for (const active of this.active) this.recorder.faultEnded(active.handle);
    this.active.clear();
    this.recorder.allFaultsEnded();
  }

  private skip(scheduled: ScheduledFault, why: string): void {
    const line = `${describePlanned(scheduled.planned)}: skipped (${why})`;
    this.skipped.push(line);
    this.log(`${this.stamp()}  · ${line}`);
  }

  private stamp(): string {
    return `${(this.stampClockMs() / 1000).toFixed(1).padStart(6)}s`;
  }

  private async start(scheduled: ScheduledFault): Promise<ActiveFault | null> {
    const planned = scheduled.planned;
    const startMs = this.recorder.nowMs();
    let description: string;
    let undo: () => Promise<void>;
    const file = readRunningCluster(this.paths);
    switch (planned.nemesis) {
      case 'partition': {
        let fault: Fault;
        if (planned.shape === 'isolate-leader') {
          const leader = await findLeader(file);
          if (leader === null) {
            this.skip(scheduled, 'no leader right now');
            return null;
          }
          fault = { kind: 'partition', groups: isolate(leader, file.nodes.map((n) => n.id)) };
          description = `isolate ${leader} (the leader)`;
        } else {
          fault = planned.fault;
          description = partitionText(planned.shape, fault, file.nodes.map((n) => n.id));
        }
        await addFault(this.paths, fault);
        undo = async () => void (await removeFault(this.paths, fault));
        break;
      }
      case 'kill':
      case 'pause': {
        const node = await resolveProcessTarget(file, planned.target);
        if (node === null) {
          this.skip(scheduled, 'no leader right now');
          return null;
        }
        if (planned.nemesis === 'kill') {
          await killNode(this.paths, node, { hold: true });
          description = `kill ${node}${'leader' in planned.target ? ' (the leader)' : ''}`;
          undo = async () => void (await restartNode(this.paths, node));
        } else {
          await nodeAction(this.paths, node, 'pause');
          description = `pause ${node}${'leader' in planned.target ? ' (the leader)' : ''}`;
          // a node killed while paused comes back running: nothing to resume then
          undo = async () => void (await resumeNode(this.paths, node).catch(() => undefined));
        }
        break;
      }
      case 'delay':
      case 'loss':
      case 'skew': {
        const fault = planned.fault;
        await addFault(this.paths, fault);
        description = describeFault(fault);
        undo = async () => void (await removeFault(this.paths, fault));
        break;
      }
      case 'clock-rate': {
        const node = await resolveTarget(file, planned.target);
        if (node === null) {
          this.skip(scheduled, 'no leader right now');
          return null;
        }
        const fault: Fault = { kind: 'clock-rate', node, rate: planned.rate };
        await addFault(this.paths, fault);
        description = `${describeFault(fault)}${'leader' in planned.target ? ' (the leader)' : ''}`;
        undo = async () => void (await removeFault(this.paths, fault));
        break;
      }
    }
    const active: ActiveFault = { scheduled, description, handle: this.recorder.faultStarted(planned.nemesis, description, startMs), undo };
    this.active.add(active);
    this.injected[planned.nemesis] = (this.injected[planned.nemesis] ?? 0) + 1;
    this.log(`${this.stamp()}  + ${description}`);
    return active;
  }

  private async stop(active: ActiveFault): Promise<void> {
    try {
      await active.undo();
    } catch (err) {
      this.log(`${this.stamp()}  ! could not undo "${active.description}": ${(err as Error).message.split('\n')[0]} (the final heal will)`);
      return;
    }
    this.recorder.faultEnded(active.handle);
    this.active.delete(active);
    this.log(`${this.stamp()}  - ${active.description}: over`);
  }
}

/** The node leading the core now, by asking the voters (the highest term's self-declared leader). */
export async function findLeader(file: ClusterFile): Promise<string | null> {
  const answers = await Promise.all(
    file.core.map(async (id) => {
      const node = file.nodes.find((n) => n.id === id);
      if (!node) return null;
      try {
        const s = await requestJson<{ raft?: RaftStatusView }>({ host: file.host, port: node.ports.http }, 'GET', '/v1/core/status', undefined, { timeoutMs: 800 });
        return s.raft ?? null;
      } catch {
        return null;
      }
    }),
  );
  const leaders = answers.filter((r): r is RaftStatusView => r !== null && r.role === 'leader').sort((a, b) => b.term - a.term);
  if (leaders.length > 0) return leaders[0].id;
  const named = answers.find((r) => r !== null && r.leaderId !== null);
  return named?.leaderId ?? null;
}

async function resolveTarget(file: ClusterFile, target: NodeTarget): Promise<string | null> {
  return 'node' in target ? target.node : findLeader(file);
}

/** A kill's or a pause's target: a node or local etcd member as planned, or the leader (the etcd leader on that backend). */
async function resolveProcessTarget(file: ClusterFile, target: NodeTarget): Promise<string | null> {
  if ('node' in target) return target.node;
  return (file.etcd?.members.length ?? 0) > 0 ? localEtcdLeader(file) : findLeader(file);
}

/** A partition in a few words: `halves {n1,n2} | {n3,n4,n5}`, `isolate n3`, `bridge ... (n3 reaches both)`, `majority ring n1-n3-...`. */
export function partitionText(shape: string, fault: Fault, nodes: readonly string[]): string {
  if (fault.kind === 'majority-ring') return `majority ring ${fault.ring.join('-')}`;
  if (fault.kind !== 'partition') return describeFault(fault);
  const groups = fault.groups.map((g) => `{${g.join(',')}}`).join(' | ');
  if (shape === 'isolate' && fault.groups[0].length === 1) return `isolate ${fault.groups[0][0]}`;
  const named = new Set(fault.groups.flat());
  const bridges = nodes.filter((n) => !named.has(n));
  return `${shape} ${groups}${bridges.length ? ` (${bridges.join(',')} reach${bridges.length === 1 ? 'es' : ''} both)` : ''}`;
}
