/**
 * Exercise 2, change notification: the learner's program is a watcher that must see every change under a prefix,
 * in order, once, across node failures (the way a service follows its configuration: etcd's watch with
 * start_revision, ZooKeeper's persistent watches, Consul's blocking queries). The harness writes new values under
 * the prefix every 20 ms while it freezes (SIGSTOP) and kills nodes one at a time (each client starts on a different
 * node, so the first ones lose their stream: a frozen node's stream goes silent, a killed one's breaks); then it heals, writes an end marker, and waits for every watcher to
 * deliver it.
 *
 * The protocol (docs/exercises/client-protocol.md):
 *   {"id":1,"op":"watch","prefix":P,"from_revision":R} → {"id":1,"ok":true} once the watch is established,
 *   then, for every change: {"event":{"key":K,"revision":V,"value":X,"type":"put"}}
 * Checked with ccm's watch checker (src/check/watch-order.ts): no gap, no duplicate, revision order, no made-up
 * value, from R to the end marker.
 */
import type { ScheduledFault } from '../../chaos/fault-schedule.js';
import { NEMESIS_KINDS, planFaults } from '../../chaos/fault-schedule.js';
import { checkWatchOrder, pairOperations } from '../../check/index.js';
import type { ClusterFile } from '../../cluster/cluster-file.js';
import { byNodeId } from '../../cluster/launcher.js';
import { SeededRandom } from '../../random/random.js';
import { fixedBackoff, retry } from '../../time/backoff.js';
import type { Figure } from '../exercise-result.js';
import type { WatchEventLine } from '../wire-schemas.js';
import type { ClientProcess } from './client-process.js';
import { storeRevision, type RecipeContext, type RecipeRunOptions, type RecipeWorkload } from './recipe-run.js';

const KEYS = 4;
const WRITE_EVERY_MS = 20;
const WRITER_PROCESS = 100;
const CATCH_UP_MS = 15_000;
/** Events kept per watcher (a bound on what a runaway program can make the harness hold). */
const MAX_EVENTS = 200_000;

type Delivered = { key: string; revision: number; value?: string | null; type?: 'put' | 'delete' };

export class WatchRecipeWorkload implements RecipeWorkload {
  readonly clients = 3;
  private prefix = '';
  private fromRevision = 0;
  private endRevision = 0;
  private readonly events = new Map<string, Delivered[]>();
  private readonly started = new Set<string>();
  private writes = 0;
  private overflow = false;

  schedule(file: ClusterFile, options: RecipeRunOptions): ScheduledFault[] {
    const nodes = file.nodes.map((n) => n.id).sort(byNodeId);
    const d = options.durationMs;
    // Freeze (SIGSTOP) or kill the nodes in turn, the first being where the clients started: a frozen node keeps the
    // stream open and silent (a watcher must notice from the missing progress lines), a killed one breaks it.
    const kills: ScheduledFault[] = [];
    const pauseMs = 4000;
    const killMs = 2000;
    let at = Math.max(500, Math.round(d * 0.1));
    for (let i = 0; i < nodes.length; i++) {
      const isPause = i % 2 === 0;
      const holdMs = isPause ? pauseMs : killMs;
      if (at + holdMs > d) break;
      const target = { node: nodes[i] };
      kills.push({ startMs: at, endMs: at + holdMs, planned: isPause ? { nemesis: 'pause', target } : { nemesis: 'kill', target } });
      at += holdMs + 500;
    }
    if (options.intensity !== 'all') return kills;
    const others = planFaults({ nemesis: NEMESIS_KINDS.filter((k) => k !== 'kill' && k !== 'pause'), nodes, voters: file.core, durationMs: d, intervalMs: 3000, seed: options.seed });
    return [...kills, ...others].sort((a, b) => a.startMs - b.startMs);
  }

  async setup(ctx: RecipeContext): Promise<void> {
    this.prefix = `/exercise/${ctx.runId}/config/`;
  }

  async run(ctx: RecipeContext): Promise<void> {
    this.fromRevision = (await storeRevision(ctx.client, this.prefix)) + 1;
    await Promise.all(ctx.clients.map((c) => this.startWatch(ctx, c)));
    const random = new SeededRandom(ctx.options.seed);
    let n = 0;
    while (ctx.isRunning()) {
      await this.write(ctx, `${this.prefix}k${random.int(0, KEYS - 1)}`, `v${++n}`);
      await new Promise((r) => setTimeout(r, WRITE_EVERY_MS));
    }
  }

  async finish(ctx: RecipeContext): Promise<void> {
    // An end marker, written once the cluster has healed: every watcher must get this far.
    this.endRevision = await retry(
      async () => {
        const revision = await this.write(ctx, `${this.prefix}end`, 'end');
        if (revision === null) throw new Error('the end marker was not written');
        return revision;
      },
      { policy: fixedBackoff(200), attempts: 50 },
    ).catch(() => 0);
    const deadline = Date.now() + CATCH_UP_MS;
    const isCaughtUp = (c: ClientProcess): boolean => (this.events.get(c.name) ?? []).some((e) => e.revision >= this.endRevision);
    while (Date.now() < deadline && !ctx.clients.every((c) => !this.started.has(c.name) || isCaughtUp(c)) && !ctx.isAborted()) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const c of ctx.clients) {
      if (!this.started.has(c.name)) continue;
      ctx.recorder.complete(c.index, 'ok', { events: this.events.get(c.name) ?? [], endRevision: this.endRevision });
    }
  }

  onEvent(client: ClientProcess, event: WatchEventLine['event']): void {
    const list = this.events.get(client.name) ?? [];
    if (list.length >= MAX_EVENTS) {
      this.overflow = true;
      return;
    }
    list.push({ key: event.key, revision: event.revision, ...(event.value !== undefined ? { value: event.value } : {}), ...(event.type ? { type: event.type } : {}) });
    this.events.set(client.name, list);
  }

  judge(ctx: RecipeContext): { reasons: string[]; figures: Figure[] } {
    const reasons: string[] = [];
    for (const c of ctx.clients) if (!this.started.has(c.name)) reasons.push(`${c.name} did not start its watch (no ok to the watch request)`);
    if (this.endRevision === 0) reasons.push('the harness could not write the end marker after the heal (the cluster did not recover)');
    if (this.overflow) reasons.push(`a watcher printed more than ${MAX_EVENTS} events`);
    const result = checkWatchOrder(pairOperations(ctx.recorder.events));
    if (result.verdict === 'invalid') reasons.push(...result.violations.slice(0, 5).map((v) => v.description));
    const delivered = ctx.clients.map((c) => `${c.name} ${(this.events.get(c.name) ?? []).length}`);
    const figures: Figure[] = [
      { name: 'changes written', value: String(this.writes) },
      { name: 'events delivered', value: delivered.join(', ') },
      { name: 'nodes frozen or killed', value: String(ctx.recorder.faults.filter((f) => f.kind === 'kill' || f.kind === 'pause').length) },
      { name: 'watch order (no gap, no duplicate)', value: result.verdict },
    ];
    return { reasons, figures };
  }

  private async startWatch(ctx: RecipeContext, c: ClientProcess): Promise<void> {
    const input = { fromRevision: this.fromRevision, prefix: true };
    ctx.recorder.invoke(c.index, 'watch', this.prefix, input);
    const reply = await c.request('watch', { prefix: this.prefix, from_revision: this.fromRevision }, 10_000);
    if (reply?.ok === true) {
      this.started.add(c.name);
    } else {
      ctx.recorder.complete(c.index, reply === null ? 'info' : 'fail', { error: reply?.error ?? 'no reply' });
    }
  }

  /** One recorded write; its revision, or null if it failed. */
  private async write(ctx: RecipeContext, key: string, value: string): Promise<number | null> {
    ctx.recorder.invoke(WRITER_PROCESS, 'write', key, value);
    try {
      const r = await ctx.client.put(key, value, { timeoutMs: 2000 });
      ctx.recorder.complete(WRITER_PROCESS, 'ok', { revision: r.revision });
      this.writes++;
      return r.revision;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'internal';
      const isDefinite = code === 'no_leader' || code === 'not_leader' || code === 'proposal_dropped' || ((err as { details?: { notSent?: boolean } }).details?.notSent ?? false);
      ctx.recorder.complete(WRITER_PROCESS, isDefinite ? 'fail' : 'info', { error: code });
      return null;
    }
  }
}
