/**
 * Exercise 4, spontaneous leader election: a leader with no central coordinator. Each node answers `leader` with
 * the node it follows (itself included), or null when it knows none. The harness splits the nodes into two halves
 * for a while, heals, then pauses whichever node most of them follow.
 *
 * Correct: never two leaders at once for longer than a moment (a split: two nodes that each answer that they lead,
 * for more than `SPLIT_TOLERANCE_MS`), and after each heal or resume every running node follows the same running
 * node within `AGREE_WITHIN_MS`. A rule that picks a leader from whatever part of the cluster a node can see (the
 * lowest id, the oldest member) splits under a partition: each side has its own.
 * Measured: time to the first agreement, split views under the partition (how long, how many leaders), how fast
 * views merge after the heal, and how long the cluster is without a leader when the leader stops.
 */
import { partitionFault } from '../../chaos/partition-shapes.js';
import { SeededRandom } from '../../random/random.js';
import type { Figure } from '../exercise-result.js';
import { formatSeconds } from '../exercise-result.js';
import { LeaderOk } from '../wire-schemas.js';
import type { AppliedNetFault, ScheduledNetFault } from './net-nemesis.js';
import { askAll, sleep, type ProtocolContext, type ProtocolRunOptions, type ProtocolWorkload } from './protocol-run.js';

const POLL_EVERY_MS = 150;
const REQUEST_TIMEOUT_MS = 500;
export const SPLIT_TOLERANCE_MS = 1000;
export const AGREE_WITHIN_MS = 10_000;
const SETTLE_MAX_MS = AGREE_WITHIN_MS;

interface Sample {
  atMs: number;
  /** Each answering node's leader (null: none). */
  views: Map<string, string | null>;
}

interface Episode {
  startMs: number;
  endMs: number;
  leaders: Set<string>;
}

export class ElectionWorkload implements ProtocolWorkload {
  private readonly samples: Sample[] = [];
  private mainEndMs = 0;
  private sentDuringMain = 0;
  private ctx: ProtocolContext | null = null;

  schedule(ids: readonly string[], options: ProtocolRunOptions): ScheduledNetFault[] {
    const d = options.durationMs;
    const random = new SeededRandom(options.seed);
    const at = (f: number): number => Math.round(d * f);
    const all = '*';
    const isAll = options.intensity === 'all';
    // the partition lasts long enough to show a split (at least 3 s), the leader's pause long enough to replace it
    const partitionStart = at(isAll ? 0.15 : 0.2);
    const pauseStart = at(0.65);
    const plan: ScheduledNetFault[] = [
      { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'loss', a: all, b: all, rate: isAll ? 0.2 : 0.05 } } },
      { startMs: partitionStart, endMs: partitionStart + Math.max(3000, at(0.25)), plan: { kind: 'link', fault: partitionFault('halves', ids, random) } },
      { startMs: pauseStart, endMs: Math.min(d, pauseStart + Math.max(2000, at(0.15))), plan: { kind: 'pause-leader' } },
    ];
    if (isAll) {
      plan.push({ startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'delay', a: all, b: all, delayMs: 20, jitterMs: 40 } } });
      plan.push({ startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'duplicate', a: all, b: all, rate: 0.1 } } });
      plan.push({ startMs: at(0.45), endMs: at(0.55), plan: { kind: 'link', fault: partitionFault('isolate', ids, random) } });
    }
    return plan;
  }

  async run(ctx: ProtocolContext): Promise<void> {
    this.ctx = ctx;
    while (ctx.isRunning()) {
      const started = performance.now();
      await this.poll(ctx);
      await sleep(Math.max(0, POLL_EVERY_MS - (performance.now() - started)));
    }
    this.mainEndMs = ctx.elapsedMs();
    this.sentDuringMain = Object.values(ctx.network.traffic).reduce((n, t) => n + t.sent, 0);
  }

  async settle(ctx: ProtocolContext): Promise<void> {
    const end = performance.now() + SETTLE_MAX_MS;
    let agreedSince: number | null = null;
    while (performance.now() < end && !ctx.isAborted()) {
      await this.poll(ctx);
      const last = this.samples[this.samples.length - 1];
      if (last && agreedLeader(last, ctx.network.ids) !== null) {
        agreedSince ??= last.atMs;
        if (last.atMs - agreedSince >= 2000) return;
      } else {
        agreedSince = null;
      }
      await sleep(POLL_EVERY_MS);
    }
  }

  currentLeader(): string | null {
    const last = this.samples[this.samples.length - 1];
    if (!last) return null;
    const votes = new Map<string, number>();
    for (const leader of last.views.values()) if (leader !== null) votes.set(leader, (votes.get(leader) ?? 0) + 1);
    return [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  }

  judge(ctx: ProtocolContext): { reasons: string[]; figures: Figure[] } {
    this.ctx = ctx;
    const ids = ctx.network.ids;
    const reasons: string[] = [];
    // splits: two or more nodes that each say they lead
    const episodes: Episode[] = [];
    let open: Episode | null = null;
    for (const s of this.samples) {
      const claimers = [...s.views.entries()].filter(([node, leader]) => leader === node).map(([node]) => node);
      if (claimers.length >= 2) {
        if (open) {
          open.endMs = s.atMs;
          for (const c of claimers) open.leaders.add(c);
        } else {
          open = { startMs: s.atMs, endMs: s.atMs, leaders: new Set(claimers) };
        }
      } else if (open) {
        episodes.push(open);
        open = null;
      }
    }
    if (open) episodes.push(open);
    const splitMs = episodes.reduce((n, e) => n + (e.endMs - e.startMs + POLL_EVERY_MS), 0);
    const longest = episodes.reduce<Episode | null>((best, e) => (best === null || e.endMs - e.startMs > best.endMs - best.startMs ? e : best), null);
    if (longest && longest.endMs - longest.startMs + POLL_EVERY_MS > SPLIT_TOLERANCE_MS) {
      const during = this.faultAt(longest.startMs);
      reasons.push(
        `split views: ${[...longest.leaders].join(' and ')} each answered that they lead, from ${formatSeconds(longest.startMs)} to ` +
          `${formatSeconds(longest.endMs)} (${formatSeconds(longest.endMs - longest.startMs + POLL_EVERY_MS)}, over the ${formatSeconds(SPLIT_TOLERANCE_MS)} allowed)` +
          `${during ? `, during "${during}"` : ''}`,
      );
    }
    // agreement after the start, each heal and each resume
    const moments = [{ atMs: 0, what: 'the start' }, ...this.faultEnds()];
    const merges: { what: string; ms: number | null }[] = [];
    for (const m of moments) {
      const agreed = this.samples.find((s) => s.atMs >= m.atMs && agreedLeader(s, ids) !== null);
      const ms = agreed ? agreed.atMs - m.atMs : null;
      merges.push({ what: m.what, ms });
      if (ms === null || ms > AGREE_WITHIN_MS) {
        const last = this.samples[this.samples.length - 1];
        reasons.push(
          `no agreement within ${formatSeconds(AGREE_WITHIN_MS)} after ${m.what} (${formatSeconds(m.atMs)})` +
            (last ? `: at ${formatSeconds(last.atMs)} the nodes answered ${describeViews(last)}` : ''),
        );
      }
    }
    // leaderless time after the leader was paused
    const pause = ctx.network.ids.length > 0 ? this.pauseWindow() : null;
    let failover: number | null = null;
    if (pause) {
      const next = this.samples.find((s) => s.atMs >= pause.startMs && s.atMs <= (pause.endMs ?? Infinity) && majorityLeader(s, ids, pause.node) !== null);
      failover = next ? next.atMs - pause.startMs : null;
    }
    const seconds = Math.max(0.001, this.mainEndMs / 1000);
    const heal = merges.find((m) => m.what.startsWith('the heal'));
    const figures: Figure[] = [
      { name: 'first agreement after the start', value: merges[0].ms === null ? 'never' : formatSeconds(merges[0].ms) },
      { name: 'split views (two leaders at once)', value: episodes.length ? `${formatSeconds(splitMs)} in ${episodes.length} episode${episodes.length === 1 ? '' : 's'}` : 'none' },
      { name: 'longest split', value: longest ? formatSeconds(longest.endMs - longest.startMs + POLL_EVERY_MS) : '-' },
      { name: 'views merged after the heal', value: heal ? (heal.ms === null ? 'never' : formatSeconds(heal.ms)) : '-' },
      { name: 'new leader after the leader stopped', value: pause ? (failover === null ? 'none while it was stopped' : formatSeconds(failover)) : '-' },
      { name: 'messages between nodes / node / s', value: (this.sentDuringMain / ids.length / seconds).toFixed(1) },
    ];
    return { reasons, figures };
  }

  private async poll(ctx: ProtocolContext): Promise<void> {
    const atMs = ctx.elapsedMs();
    const answers = await askAll(ctx, { type: 'leader' }, REQUEST_TIMEOUT_MS);
    const views = new Map<string, string | null>();
    for (const [node, reply] of answers) {
      if (reply === null || reply.type === 'error') continue;
      const parsed = LeaderOk.validate(reply);
      if (!parsed.ok) {
        ctx.network.rejectReply(node, reply, `leader must be answered with {"type":"leader_ok","leader":"n1" or null}: ${parsed.reason}`);
        return;
      }
      const leader = parsed.value.leader;
      if (leader !== null && !ctx.network.ids.includes(leader)) {
        ctx.network.rejectReply(node, reply, `leader ${JSON.stringify(leader)} is not a node`);
        return;
      }
      views.set(node, leader);
    }
    if (!ctx.isAborted()) this.samples.push({ atMs, views });
  }

  private faultEnds(): { atMs: number; what: string }[] {
    return this.appliedFaults()
      .filter((f) => f.endMs !== null && (f.description.startsWith('partition') || f.description.startsWith('pause')))
      .map((f) => ({ atMs: f.endMs!, what: f.description.startsWith('pause') ? `the resume (${f.description})` : `the heal (${f.description})` }));
  }

  private pauseWindow(): { node: string; startMs: number; endMs: number | null } | null {
    const f = this.appliedFaults().find((a) => a.node !== undefined);
    return f ? { node: f.node!, startMs: f.startMs, endMs: f.endMs } : null;
  }

  private faultAt(atMs: number): string | null {
    return this.appliedFaults().find((f) => f.startMs <= atMs && (f.endMs === null || atMs <= f.endMs) && !f.description.startsWith('loss') && !f.description.startsWith('delay') && !f.description.startsWith('duplicate'))?.description ?? null;
  }

  private appliedFaults(): AppliedNetFault[] {
    return this.ctx?.faults() ?? [];
  }
}

/** The leader every answering node follows, when they all follow the same one and it answered too; else null. */
function agreedLeader(s: Sample, ids: readonly string[]): string | null {
  if (s.views.size === 0) return null;
  const leaders = new Set(s.views.values());
  if (leaders.size !== 1) return null;
  const leader = [...leaders][0];
  return leader !== null && ids.includes(leader) && s.views.has(leader) ? leader : null;
}

/** A leader a majority of all nodes follow, other than `excluded`. */
function majorityLeader(s: Sample, ids: readonly string[], excluded: string): string | null {
  const votes = new Map<string, number>();
  for (const leader of s.views.values()) if (leader !== null && leader !== excluded) votes.set(leader, (votes.get(leader) ?? 0) + 1);
  for (const [leader, n] of votes) if (n > ids.length / 2) return leader;
  return null;
}

function describeViews(s: Sample): string {
  return [...s.views.entries()].map(([node, leader]) => `${node}→${leader ?? 'none'}`).join(', ') || 'nothing';
}
