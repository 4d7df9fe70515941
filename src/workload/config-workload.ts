/**
 * The config workload: writers update a few configuration keys while watchers stream every change under
 * their prefix; every watcher must see every committed version of every key, in revision order, with no
 * gap and no duplicate, across node failures (it resumes from the revision after the last it was vouched
 * for), and no acknowledged write may be lost.
 *
 * It runs on the consistent core's keys and its watch API (GET /v1/watch): a config key is a key under
 * `/chaos/<run>/config/`. Operations (history shapes, as src/check/watch-order.ts and lost-writes.ts read them):
 * - `write` on a key: input a value never written before (a number); ok output `{ revision }`;
 * - `watch` on the prefix (one operation per watcher for the whole run, resumptions included): input
 *   `{ fromRevision, prefix: true }`; output `{ events: [{ key, revision, value, type }], endRevision, reconnects }`,
 *   endRevision being the revision up to which the streams vouched they delivered everything;
 * - `read` on a key after the heal (final reads): ok output the value, null if absent.
 * Some watchers start with the run; the others start a third of the way in, from the same first revision,
 * so they replay history before they go live.
 */
import { checkLostWrites, checkWatchOrder, pairOperations, type CheckResult, type HistoryEvent } from '../check/index.js';
import { CcmError } from '../client/api-errors.js';
import type { KvPutResult, RangeResult } from '../client/api-types.js';
import { recordOperation, sleep } from './operation.js';
import { WatchRecorder } from './watch-recorder.js';
import type { CheckOptions, Workload, WorkloadContext } from './workload.js';

export interface ConfigWorkloadOptions {
  /** Config keys written (default 4). */
  keys?: number;
  /** Watchers (default 4: half from the start, half joining later). */
  watchers?: number;
  /** Pause between one writer's writes, ms (default 20): keeps the revision count inside the watch history. */
  writePauseMs?: number;
}

const UNREACHABLE_PAUSE_MS = 100;
const FINAL_PHASE_MS = 30_000;

function decode(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

interface Watcher {
  process: number;
  recorder: WatchRecorder;
  fromRevision: number;
}

export class ConfigWorkload implements Workload {
  readonly name = 'config';
  private readonly keyCount: number;
  private readonly watcherCount: number;
  private readonly writePauseMs: number;
  private prefix = '';
  private keys: string[] = [];
  private startRevision = 0;
  private nextValue = 1;
  private nextProcess = 0;
  private readonly watchers: Watcher[] = [];
  private finalRevision = 0;
  private caughtUp = 0;
  private compactedWatches = 0;

  constructor(options: ConfigWorkloadOptions = {}) {
    this.keyCount = options.keys ?? 4;
    this.watcherCount = options.watchers ?? 4;
    this.writePauseMs = options.writePauseMs ?? 20;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    this.prefix = `/chaos/${ctx.runId}/config/`;
    this.keys = Array.from({ length: this.keyCount }, (_, i) => `${this.prefix}k${i}`);
    // the revision before the run: watchers start right after it
    let range: RangeResult | undefined;
    try {
      range = await ctx.client.get(this.prefix, { prefix: true, timeoutMs: 10_000 });
    } catch (err) {
      if (!(err instanceof CcmError && err.code === 'not_found')) throw err;
    }
    this.startRevision = range?.revision ?? (await ctx.client.put(`/chaos/${ctx.runId}/config-start`, 'x')).revision;
    this.nextProcess = ctx.clients;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    const early = Math.ceil(this.watcherCount / 2);
    for (let i = 0; i < early; i++) this.startWatcher(ctx, i);
    const late = (async () => {
      while (ctx.isRunning() && ctx.elapsedMs() < ctx.durationMs / 3) await sleep(100);
      for (let i = early; i < this.watcherCount; i++) this.startWatcher(ctx, i);
    })();
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.writer(ctx, i)));
    await late;
  }

  async finish(ctx: WorkloadContext): Promise<void> {
    const process = this.nextProcess++;
    const deadline = Date.now() + FINAL_PHASE_MS;
    for (const key of this.keys) {
      for (;;) {
        const outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'read', key, input: null, isReadOnly: true },
          () => ctx.client.get(key, { timeoutMs: ctx.opTimeoutMs * 2 }),
          (r: RangeResult) => {
            this.finalRevision = Math.max(this.finalRevision, r.revision);
            return r.kvs[0] ? decode(r.kvs[0].value) : null;
          },
          (err) => {
            if (!(err instanceof CcmError && err.code === 'not_found')) return undefined;
            const revision = (err.details as { revision?: number } | undefined)?.revision;
            if (typeof revision === 'number') this.finalRevision = Math.max(this.finalRevision, revision);
            return { type: 'ok', value: null };
          },
        );
        if (outcome.type === 'ok' || Date.now() > deadline) break;
        await sleep(200);
      }
    }
    // every watcher gets until the deadline to be vouched up to the final revision, then it is closed
    await Promise.all(
      this.watchers.map(async (w) => {
        if (await w.recorder.waitFor(this.finalRevision, Math.max(1000, deadline - Date.now()))) this.caughtUp++;
        w.recorder.close();
      }),
    );
    for (const w of this.watchers) this.completeWatch(ctx, w);
  }

  /** Watch order and lost writes (no search: the budget is not needed). */
  check(history: readonly HistoryEvent[], _options?: CheckOptions): CheckResult[] {
    const ops = pairOperations(history);
    return [checkWatchOrder(ops), checkLostWrites(ops)];
  }

  stats(): Record<string, string | number> {
    return {
      'config keys': this.keys.length,
      watchers: this.watchers.length,
      'watch reconnects': this.watchers.reduce((n, w) => n + w.recorder.reconnects, 0),
      'watch events delivered': this.watchers.reduce((n, w) => n + w.recorder.events.length, 0),
      'watchers caught up with the final revision': `${this.caughtUp} of ${this.watchers.length} (revision ${this.finalRevision})`,
      ...(this.compactedWatches ? { 'watches cut by compaction': this.compactedWatches } : {}),
    };
  }

  private startWatcher(ctx: WorkloadContext, index: number, fromRevision = this.startRevision + 1): void {
    const process = this.nextProcess++;
    ctx.recorder.invoke(process, 'watch', this.prefix, { fromRevision, prefix: true });
    const recorder = new WatchRecorder({
      endpoints: ctx.endpoints,
      startAt: index,
      prefix: this.prefix,
      fromRevision,
      progressMs: 500,
      idleTimeoutMs: 2500,
      onNote: (message) => ctx.note(message),
    });
    const watcher: Watcher = { process, recorder, fromRevision };
    this.watchers.push(watcher);
    void recorder.done.then((end) => {
      if (end.kind !== 'compacted') return;
      // history this watcher needed is gone: its watch ends here, checked on what it saw; a new one starts live
      this.compactedWatches++;
      ctx.note(`watcher p${process} cut by compaction at revision ${recorder.vouchedRevision + 1}; a new watch starts after it`);
      this.completeWatch(ctx, watcher);
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      if (ctx.isRunning()) this.startWatcher(ctx, index + 1, recorder.vouchedRevision + 1);
    });
  }

  private completeWatch(ctx: WorkloadContext, w: Watcher): void {
    if (!ctx.recorder.isBusy(w.process)) return;
    ctx.recorder.complete(w.process, 'ok', { events: w.recorder.events, endRevision: w.recorder.vouchedRevision, reconnects: w.recorder.reconnects });
  }

  private async writer(ctx: WorkloadContext, process: number): Promise<void> {
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    while (ctx.isRunning()) {
      const key = this.keys[ctx.random.int(0, this.keys.length - 1)];
      const value = this.nextValue++;
      const outcome = await recordOperation(
        ctx.recorder,
        { process, f: 'write', key, input: value },
        () => ctx.client.call<KvPutResult>('PUT', '/v1/kv', { key, value: String(value) }, { node, timeoutMs: ctx.opTimeoutMs }),
        (r) => ({ revision: r.revision }),
      );
      await sleep(outcome.type !== 'ok' && outcome.isUnreachable ? UNREACHABLE_PAUSE_MS : this.writePauseMs);
    }
  }
}
