/**
 * Exercise 5, failure detection: the nodes watch each other (heartbeats, probes: the program's choice) and each
 * answers `suspects` with the nodes it believes have failed. The harness pauses one node at a time (SIGSTOP, a
 * process that stops answering, as a crashed or frozen one would) while every link loses and delays messages.
 *
 * Correct: every paused node is suspected by every other running node before it is resumed (completeness), and
 * running, reachable nodes are hardly ever suspected (accuracy: at most one false suspicion per node per minute).
 * Measured: detection time (pause to suspicion, per observer, and until every observer suspects), false positives
 * under loss, and how long a recovered node stays suspected.
 *
 * Ground truth, per observer: a node is down for it while the node is paused or cut off from it (a partition).
 * Grace: an observer's own answers are not judged for 2 s after it was itself resumed (its clock jumped), and a
 * node may stay suspected for 3 s after it came back, before that counts against the detector.
 */
import { SeededRandom, shuffle } from '../../random/random.js';
import { partitionFault } from '../../chaos/partition-shapes.js';
import type { Figure } from '../exercise-result.js';
import { formatSeconds, percentile, spread } from '../exercise-result.js';
import { SuspectsOk } from '../wire-schemas.js';
import type { ScheduledNetFault } from './net-nemesis.js';
import { askAll, sleep, sleepUnless, type ProtocolContext, type ProtocolRunOptions, type ProtocolWorkload } from './protocol-run.js';

const POLL_EVERY_MS = 100;
const REQUEST_TIMEOUT_MS = 500;
const OBSERVER_GRACE_MS = 2000;
const RECOVERY_GRACE_MS = 3000;
/** Samples of no false suspicion that end a false-positive episode. */
const EPISODE_GAP_SAMPLES = 3;
const SETTLE_MS = 4000;
/** False suspicions allowed per node per minute of run. */
const FALSE_POSITIVES_PER_NODE_MINUTE = 1;

interface Sample {
  atMs: number;
  observer: string;
  suspects: Set<string>;
  /** Nodes down for this observer at the time (paused or cut off from it). */
  down: Set<string>;
  /** Nodes that came back less than RECOVERY_GRACE_MS ago. */
  recovering: Set<string>;
}

interface Outage {
  node: string;
  startMs: number;
  endMs: number | null;
}

export class DetectorWorkload implements ProtocolWorkload {
  private readonly samples: Sample[] = [];
  /** node → when it last came back (resumed or reachable again), ms into the run */
  private readonly backAtMs = new Map<string, number>();
  private readonly pausedSince = new Map<string, number>();
  private readonly outages: Outage[] = [];
  private mainEndMs = 0;
  private sentDuringMain = 0;

  schedule(ids: readonly string[], options: ProtocolRunOptions): ScheduledNetFault[] {
    const d = options.durationMs;
    const random = new SeededRandom(options.seed);
    const all = '*';
    const pauseMs = Math.max(2000, Math.min(4000, Math.round(d * 0.15)));
    const gapMs = Math.round(pauseMs * 0.75);
    const order = shuffle([...ids], random);
    const schedule: ScheduledNetFault[] = [];
    const isAll = options.intensity === 'all';
    schedule.push({ startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'loss', a: all, b: all, rate: isAll ? 0.3 : 0.2 } } });
    schedule.push({ startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'delay', a: all, b: all, delayMs: isAll ? 30 : 10, jitterMs: isAll ? 60 : 20 } } });
    if (isAll) {
      schedule.push({ startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'duplicate', a: all, b: all, rate: 0.2 } } });
      schedule.push({ startMs: Math.round(d * 0.45), endMs: Math.round(d * 0.45) + pauseMs, plan: { kind: 'link', fault: partitionFault('isolate', ids, random) } });
    }
    let at = Math.max(1000, Math.round(d * 0.1));
    for (let i = 0; at + pauseMs <= d - 500; i++) {
      schedule.push({ startMs: at, endMs: at + pauseMs, plan: { kind: 'pause', node: order[i % order.length] } });
      at += pauseMs + gapMs;
    }
    return schedule;
  }

  async setup(ctx: ProtocolContext): Promise<void> {
    // Let the detectors hear from everyone once before anything fails.
    await sleepUnless(1000, () => ctx.isAborted());
  }

  async run(ctx: ProtocolContext): Promise<void> {
    while (ctx.isRunning()) {
      const started = performance.now();
      await this.poll(ctx);
      await sleep(Math.max(0, POLL_EVERY_MS - (performance.now() - started)));
    }
    this.mainEndMs = ctx.elapsedMs();
    this.sentDuringMain = Object.values(ctx.network.traffic).reduce((n, t) => n + t.sent, 0);
  }

  async settle(ctx: ProtocolContext): Promise<void> {
    const end = performance.now() + SETTLE_MS;
    while (performance.now() < end && !ctx.isAborted()) {
      await this.poll(ctx);
      await sleep(POLL_EVERY_MS);
    }
  }

  judge(ctx: ProtocolContext): { reasons: string[]; figures: Figure[] } {
    const ids = ctx.network.ids;
    const reasons: string[] = [];
    // completeness and detection times
    const perObserver: number[] = [];
    const untilAll: number[] = [];
    const missed: string[] = [];
    for (const outage of this.outages) {
      const end = outage.endMs ?? this.mainEndMs;
      let slowest = 0;
      let isComplete = true;
      for (const observer of ids) {
        if (observer === outage.node) continue;
        const mine = this.samples.filter((s) => s.observer === observer && s.atMs >= outage.startMs && s.atMs <= end);
        if (mine.length === 0) continue; // the observer was paused itself the whole time
        const hit = mine.find((s) => s.suspects.has(outage.node));
        if (!hit) {
          isComplete = false;
          missed.push(`${observer} never suspected ${outage.node}, paused from ${formatSeconds(outage.startMs)} to ${formatSeconds(end)} (${mine.length} answers in that time)`);
          continue;
        }
        perObserver.push(hit.atMs - outage.startMs);
        slowest = Math.max(slowest, hit.atMs - outage.startMs);
      }
      if (isComplete) untilAll.push(slowest);
    }
    // accuracy: false positives, as episodes per (observer, node)
    const episodes: { observer: string; node: string; startMs: number; endMs: number }[] = [];
    const open = new Map<string, { startMs: number; endMs: number; quiet: number }>();
    for (const s of this.samples) {
      for (const node of ids) {
        if (node === s.observer) continue;
        const key = `${s.observer}>${node}`;
        const isFalse = s.suspects.has(node) && !s.down.has(node) && !s.recovering.has(node) && !this.inObserverGrace(s);
        const episode = open.get(key);
        if (isFalse) {
          if (episode) {
            episode.endMs = s.atMs;
            episode.quiet = 0;
          } else {
            open.set(key, { startMs: s.atMs, endMs: s.atMs, quiet: 0 });
          }
        } else if (episode && ++episode.quiet >= EPISODE_GAP_SAMPLES) {
          episodes.push({ observer: s.observer, node, startMs: episode.startMs, endMs: episode.endMs });
          open.delete(key);
        }
      }
    }
    for (const [key, e] of open) {
      const [observer, node] = key.split('>');
      episodes.push({ observer, node, startMs: e.startMs, endMs: e.endMs });
    }
    episodes.sort((a, b) => a.startMs - b.startMs);
    const minutes = Math.max(1 / 60, this.mainEndMs / 60_000);
    const allowed = Math.max(1, Math.floor(FALSE_POSITIVES_PER_NODE_MINUTE * ids.length * minutes));
    reasons.push(...missed);
    if (episodes.length > allowed) {
      const first = episodes[0];
      reasons.push(
        `${episodes.length} false suspicions (allowed: ${allowed}, one per node per minute); the first: ${first.observer} suspected ${first.node} ` +
          `from ${formatSeconds(first.startMs)} to ${formatSeconds(first.endMs)}, while ${first.node} ran and ${first.observer} could reach it`,
      );
    }
    if (this.outages.length === 0) reasons.push('no node was paused (the run was too short to judge completeness)');
    // recovery: how long a node stays suspected after it came back
    const clears: number[] = [];
    for (const outage of this.outages) {
      if (outage.endMs === null) continue;
      // up to the next outage of the same node: the last answer that still suspected it
      const next = this.outages.find((o) => o.node === outage.node && o.startMs > outage.startMs);
      const window = this.samples.filter((s) => s.atMs >= outage.endMs! && (next === undefined || s.atMs < next.startMs) && s.observer !== outage.node);
      const lastSuspected = window.filter((s) => s.suspects.has(outage.node)).pop();
      clears.push(lastSuspected ? lastSuspected.atMs + POLL_EVERY_MS - outage.endMs : 0);
    }
    const seconds = Math.max(0.001, this.mainEndMs / 1000);
    const figures: Figure[] = [
      { name: 'pauses (nodes stopped)', value: String(this.outages.length) },
      { name: 'detection time, median', value: formatSeconds(percentile([...perObserver].sort((a, b) => a - b), 50)) },
      { name: 'detection time, max', value: formatSeconds(perObserver.length ? Math.max(...perObserver) : NaN) },
      { name: 'until every node suspects it', value: untilAll.length ? spread(untilAll).replace(/, p95 [^,]+/, '') : '-' },
      { name: 'missed detections', value: String(missed.length) },
      { name: 'false suspicions', value: `${episodes.length} (${(episodes.length / ids.length / minutes).toFixed(1)} / node / min)` },
      { name: 'suspected after coming back', value: clears.length ? formatSeconds(percentile([...clears].sort((a, b) => a - b), 50)) + ' median' : '-' },
      { name: 'messages between nodes / node / s', value: (this.sentDuringMain / ids.length / seconds).toFixed(1) },
    ];
    return { reasons, figures };
  }

  private inObserverGrace(s: Sample): boolean {
    const back = this.backAtMs.get(s.observer);
    return back !== undefined && s.atMs - back < OBSERVER_GRACE_MS;
  }

  private async poll(ctx: ProtocolContext): Promise<void> {
    const network = ctx.network;
    const sentAt = ctx.elapsedMs();
    this.trackOutages(ctx, sentAt);
    // Ground truth when the question is asked (the answer comes back a little later).
    const truth = new Map<string, { down: Set<string>; recovering: Set<string> }>();
    for (const observer of network.ids) {
      const down = new Set(network.ids.filter((id) => id !== observer && (network.isPaused(id) || !network.canReach(observer, id) || !network.canReach(id, observer))));
      const recovering = new Set(network.ids.filter((id) => {
        const back = this.backAtMs.get(id);
        return back !== undefined && sentAt - back < RECOVERY_GRACE_MS;
      }));
      truth.set(observer, { down, recovering });
    }
    const answers = await askAll(ctx, { type: 'suspects' }, REQUEST_TIMEOUT_MS);
    for (const [node, reply] of answers) {
      if (reply === null || reply.type === 'error') continue;
      const parsed = SuspectsOk.validate(reply);
      if (!parsed.ok) {
        network.rejectReply(node, reply, `suspects must be answered with {"type":"suspects_ok","suspects":[node ids]}: ${parsed.reason}`);
        return;
      }
      const unknown = parsed.value.suspects.find((id) => !network.ids.includes(id));
      if (unknown !== undefined) {
        network.rejectReply(node, reply, `suspects names ${JSON.stringify(unknown)}, which is not a node`);
        return;
      }
      this.samples.push({ atMs: sentAt, observer: node, suspects: new Set(parsed.value.suspects), ...truth.get(node)! });
    }
  }

  /** Notes pauses and partitions starting and ending, as outages (for completeness) and comebacks (for grace). */
  private trackOutages(ctx: ProtocolContext, nowMs: number): void {
    const network = ctx.network;
    for (const id of network.ids) {
      const isDown = network.isPaused(id) || network.ids.every((o) => o === id || !network.canReach(o, id));
      const since = this.pausedSince.get(id);
      if (isDown && since === undefined) {
        this.pausedSince.set(id, nowMs);
        this.outages.push({ node: id, startMs: nowMs, endMs: null });
      } else if (!isDown && since !== undefined) {
        this.pausedSince.delete(id);
        this.backAtMs.set(id, nowMs);
        const outage = [...this.outages].reverse().find((o) => o.node === id && o.endMs === null);
        if (outage) outage.endMs = nowMs;
      }
    }
  }
}
