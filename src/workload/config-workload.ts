/**
 * The config workload: writers update a few configuration entries while watchers stream every change under
 * their prefix; every watcher must see every committed version of every entry, in revision order, with no
 * gap and no duplicate, across node failures (it resumes from the revision after the last it was vouched
 * for), and no acknowledged write may be lost.
 *
 * It runs on the config manager (PUT /v1/config/:name, integer values; its changes are watched on the
 * records' keys, `/ccm/config/<name>`) when the nodes serve it, else on plain core keys under
 * `/chaos/<run>/config/`; either way through the watch API (GET /v1/watch). Operations (history shapes, as
 * src/check/watch-order.ts and lost-writes.ts read them), keyed by the stored key:
 * - `write` on a key: input a value never written before (a number); ok output `{ revision, version? }`;
 * - `watch` on the prefix (one operation per watcher for the whole run, resumptions included): input
 *   `{ fromRevision, prefix: true }`; output `{ events: [{ key, revision, value, type }], endRevision, reconnects }`,
 *   endRevision being the revision up to which the streams vouched they delivered everything;
 * - `read` on a key after the heal (final reads): ok output the value, null if absent.
 * Some watchers start with the run; the others start a third of the way in, from the same first revision,
 * so they replay history before they go live.
 */
import { checkLostWrites, checkWatchOrder, formatMs, pairOperations, type CheckResult, type CounterExample, type HistoryEvent, type Operation } from '../check/index.js';
import { CcmError } from '../errors/ccm-error.js';
import type { KvPutResult, RangeResult } from '../api/api-types.js';
import type { CcmClient } from '../client/ccm-client.js';
import { recordOperation, sleep } from './operation.js';
import { fixedBackoff, retry } from '../time/backoff.js';
import { WatchRecorder, type RecordedWatchEvent } from './watch-recorder.js';
import type { CheckOptions, Workload, WorkloadContext } from './workload.js';

export interface ConfigWorkloadOptions {
  /** Config entries written (default 4). */
  keys?: number;
  /** Watchers (default 4: half from the start, half joining later). */
  watchers?: number;
  /** Pause between one writer's writes, ms (default 20): keeps the revision count inside the watch history. */
  writePauseMs?: number;
  /** Force the target (default: the config manager if the nodes serve it, else core keys). */
  target?: 'config' | 'kv';
}

const UNREACHABLE_PAUSE_MS = 100;
const FINAL_PHASE_MS = 30_000;

function decodeNumber(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** Where the workload writes and what its watchers see: the config manager, or plain core keys. */
interface ConfigTarget {
  kind: 'config' | 'kv';
  /** The stored key of entry i (what watch events carry, and the history's key). */
  keys: string[];
  watchPrefix: string;
  write(call: <T>(method: string, path: string, body?: unknown) => Promise<T>, index: number, value: number): Promise<{ revision: number; version?: number }>;
  /** A linearizable read: the value (null if never set), the revision it was served at. */
  read(client: CcmClient, index: number, timeoutMs: number): Promise<{ value: unknown; revision: number; version?: number }>;
  decode(text: string): { value: unknown; version?: number };
}

function configTarget(runId: string, count: number): ConfigTarget {
  const names = Array.from({ length: count }, (_, i) => `chaos.${runId}.k${i}`);
  return {
    kind: 'config',
    keys: names.map((n) => `/ccm/config/${n}`),
    watchPrefix: `/ccm/config/chaos.${runId}.`,
    async write(call, index, value) {
      const r = await call<ConfigEntry>('PUT', `/v1/config/${names[index]}`, { value, type: 'int', by: 'chaos' });
      return { revision: r.revision, version: r.version };
    },
    async read(client, index, timeoutMs) {
      try {
        const r = await client.call<ConfigEntry>('GET', `/v1/config/${names[index]}`, undefined, { timeoutMs });
        return { value: r.value, revision: r.revision, version: r.version };
      } catch (err) {
        // never set: nil, at a revision the read does not tell (0 leaves the final revision to the other keys)
        if (err instanceof CcmError && err.code === 'not_found') return { value: null, revision: 0 };
        throw err;
      }
    },
    decode(text) {
      const record = JSON.parse(text) as { kind?: string; type?: string; text?: string; version?: number };
      const value = record.kind === 'delete' ? null : record.type === 'int' ? Number(record.text) : (record.text ?? null);
      return { value, ...(typeof record.version === 'number' ? { version: record.version } : {}) };
    },
  };
}

function kvTarget(runId: string, count: number): ConfigTarget {
  const prefix = `/chaos/${runId}/config/`;
  const keys = Array.from({ length: count }, (_, i) => `${prefix}k${i}`);
  return {
    kind: 'kv',
    keys,
    watchPrefix: prefix,
    async write(call, index, value) {
      const r = await call<KvPutResult>('PUT', '/v1/kv', { key: keys[index], value: String(value) });
      return { revision: r.revision };
    },
    async read(client, index, timeoutMs) {
      try {
        const r: RangeResult = await client.get(keys[index], { timeoutMs });
        return { value: r.kvs[0] ? decodeNumber(r.kvs[0].value) : null, revision: r.revision };
      } catch (err) {
        const revision = (err as CcmError).details as { revision?: number } | undefined;
        if (err instanceof CcmError && err.code === 'not_found') return { value: null, revision: revision?.revision ?? 0 };
        throw err;
      }
    },
    decode: (text) => ({ value: decodeNumber(text) }),
  };
}

/** What the config manager answers about an entry (the fields used here of its ConfigEntry). */
interface ConfigEntry {
  value: unknown;
  version: number;
  revision: number;
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
  private target: ConfigTarget | null = null;
  private startRevision = 0;
  private nextValue = 1;
  private nextProcess = 0;
  private readonly watchers: Watcher[] = [];
  private finalRevision = 0;
  private caughtUp = 0;
  private compactedWatches = 0;

  constructor(private readonly options: ConfigWorkloadOptions = {}) {
    this.keyCount = options.keys ?? 4;
    this.watcherCount = options.watchers ?? 4;
    this.writePauseMs = options.writePauseMs ?? 20;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    let kind = this.options.target;
    if (kind === undefined) {
      kind = 'config';
      try {
        await ctx.client.call('GET', '/v1/config', undefined, { timeoutMs: 10_000 });
      } catch (err) {
        if (/no such endpoint/.test((err as Error).message)) kind = 'kv';
      }
    }
    const target = kind === 'config' ? configTarget(ctx.runId, this.keyCount) : kvTarget(ctx.runId, this.keyCount);
    this.target = target;
    // the revision before the run: watchers start right after it
    const range = await ctx.client.get(target.watchPrefix, { prefix: true, timeoutMs: 10_000 });
    this.startRevision = range.revision;
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
    const target = this.requireTarget();
    const process = this.nextProcess++;
    const deadline = Date.now() + FINAL_PHASE_MS;
    for (let index = 0; index < target.keys.length; index++) {
      // Every try is an operation of its own in the history; a key that cannot be read by the deadline is left.
      await retry(
        async () => {
          const outcome = await recordOperation(
            ctx.recorder,
            { process, f: 'read', key: target.keys[index], input: null, isReadOnly: true },
            () => target.read(ctx.client, index, ctx.opTimeoutMs * 2),
            (r) => {
              this.finalRevision = Math.max(this.finalRevision, r.revision);
              return r.value;
            },
          );
          if (outcome.type !== 'ok') throw new Error(`final read of ${target.keys[index]} failed`);
        },
        { policy: fixedBackoff(200), deadlineMs: deadline },
      ).catch(() => undefined);
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

  /** Watch order, lost writes, and (on the config manager) versions without a gap. */
  check(history: readonly HistoryEvent[], _options?: CheckOptions): CheckResult[] {
    const ops = pairOperations(history);
    const results: CheckResult[] = [checkWatchOrder(ops), checkLostWrites(ops)];
    if (this.target?.kind === 'config') results.push(checkConfigVersions(ops));
    return results;
  }

  stats(): Record<string, string | number> {
    return {
      'writes go to': this.target?.kind === 'config' ? 'the config manager (/v1/config)' : 'core keys (/v1/kv)',
      'config entries': this.keyCount,
      watchers: this.watchers.length,
      'watch reconnects': this.watchers.reduce((n, w) => n + w.recorder.reconnects, 0),
      'watch events delivered': this.watchers.reduce((n, w) => n + w.recorder.events.length, 0),
      'watchers caught up with the final revision': `${this.caughtUp} of ${this.watchers.length} (revision ${this.finalRevision})`,
      ...(this.compactedWatches ? { 'watches cut by compaction': this.compactedWatches } : {}),
    };
  }

  private requireTarget(): ConfigTarget {
    if (this.target === null) throw new Error('config workload: setup() was not called');
    return this.target;
  }

  private startWatcher(ctx: WorkloadContext, index: number, fromRevision = this.startRevision + 1): void {
    const target = this.requireTarget();
    const process = this.nextProcess++;
    ctx.recorder.invoke(process, 'watch', target.watchPrefix, { fromRevision, prefix: true });
    const recorder = new WatchRecorder({
      endpoints: ctx.endpoints,
      startAt: index,
      prefix: target.watchPrefix,
      fromRevision,
      progressMs: 500,
      idleTimeoutMs: 2500,
      onNote: (message) => ctx.note(message),
      decodeValue: (text) => target.decode(text),
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
    const target = this.requireTarget();
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    const call = <T>(method: string, path: string, body?: unknown): Promise<T> => ctx.client.call<T>(method, path, body, { node, timeoutMs: ctx.opTimeoutMs });
    while (ctx.isRunning()) {
      const index = ctx.random.int(0, target.keys.length - 1);
      const value = this.nextValue++;
      const outcome = await recordOperation(
        ctx.recorder,
        { process, f: 'write', key: target.keys[index], input: value },
        () => target.write(call, index, value),
        (r) => r,
      );
      await sleep(outcome.type !== 'ok' && outcome.isUnreachable ? UNREACHABLE_PAUSE_MS : this.writePauseMs);
    }
  }
}

/**
 * Config versions: within one watch, consecutive events of an entry carry consecutive versions (1, 2, 3...:
 * a version skipped is a change the watcher never saw), and an acknowledged write's version is the one the
 * watchers saw at its revision.
 */
export function checkConfigVersions(ops: readonly Operation[]): CheckResult {
  const violations: CounterExample[] = [];
  const acknowledged = new Map<string, { op: Operation; version: number }>();
  for (const op of ops) {
    const out = op.output as { revision?: number; version?: number } | undefined;
    if (op.f === 'write' && op.status === 'ok' && typeof out?.revision === 'number' && typeof out.version === 'number') {
      acknowledged.set(`${op.key}\u0000${out.revision}`, { op, version: out.version });
    }
  }
  let checked = 0;
  for (const watch of ops.filter((op) => op.f === 'watch' && op.status !== 'fail')) {
    const events = ((watch.output as { events?: RecordedWatchEvent[] } | undefined)?.events ?? []).filter((e) => typeof e.version === 'number');
    const last = new Map<string, RecordedWatchEvent>();
    for (const event of events) {
      checked++;
      const before = last.get(event.key);
      if (before !== undefined && event.version !== before.version! + 1) {
        violations.push({
          description: `watch #${watch.id} (p${watch.process}) saw ${event.key} go from version ${before.version} (revision ${before.revision}) to version ${event.version} (revision ${event.revision}): ${event.version! > before.version! ? 'versions in between were never delivered' : 'a version came again or out of order'}.`,
          ops: [watch],
        });
      }
      last.set(event.key, event);
      const ack = acknowledged.get(`${event.key}\u0000${event.revision}`);
      if (ack !== undefined && ack.version !== event.version) {
        violations.push({
          description: `write #${ack.op.id} (p${ack.op.process}, ${formatMs(ack.op.invokeMs)}..${formatMs(ack.op.completeMs)}) was acknowledged as version ${ack.version} of ${event.key} at revision ${event.revision}, but watch #${watch.id} saw version ${event.version} there.`,
          ops: [ack.op, watch],
        });
      }
    }
  }
  return {
    checker: 'config-versions',
    verdict: violations.length > 0 ? 'invalid' : 'valid',
    summary:
      violations.length > 0
        ? `${violations.length} version violation${violations.length === 1 ? '' : 's'}; first: ${violations[0].description}`
        : `every watch saw consecutive versions: ${checked} versioned events`,
    ...(violations.length > 0 ? { counterExample: violations[0], violations: violations.slice(0, 100) } : {}),
  };
}
