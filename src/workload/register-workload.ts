/**
 * The register workload (Jepsen's etcd register test): client processes read, write and compare-and-set a
 * few keys at once, each key a register that starts empty. Keys are retired after a number of operations
 * and replaced by fresh ones (as jepsen.independent does), which keeps each key's history small enough for
 * the linearizability search however long the run.
 *
 * Operations (history shape, as src/check/register-model.ts reads it), on key `/chaos/<run>/register/<n>`:
 * - `read`: input null; ok output the value (a number), or null when the key does not exist;
 * - `write`: input a value never written before (a number); ok output `{ revision }`;
 * - `cas`: input `[from, to]`: `to` is new, `from` a value recently seen on the key (null: the key must not
 *   exist); ok output `{ revision }`; fail when the compare failed.
 * On the wire a value is its decimal text; `cas` is a PUT with `ifValue` (or `ifAbsent` for null).
 * After the heal, one more process reads every key once (linearizably) for the lost-writes check.
 *
 * Checkers: linearizability (register model, per key) and lost writes (each acknowledged write is the final
 * value or was overwritten by a write that may have come after it).
 */
import { checkLinearizability, checkLostWrites, pairOperations, registerModel, type CheckResult, type HistoryEvent } from '../check/index.js';
import { CcmError } from '../client/api-errors.js';
import type { KvPutResult, RangeResult } from '../client/api-types.js';
import { recordOperation, sleep } from './operation.js';
import type { CheckOptions, Workload, WorkloadContext } from './workload.js';

export interface RegisterWorkloadOptions {
  /** Keys in use at once (default 3). */
  keys?: number;
  /** Operations on one key before it is retired (default 250). */
  opsPerKey?: number;
  /** Share of reads (default 0.5); writes and compare-and-sets share the rest equally. */
  readShare?: number;
}

/** Pause after an operation that found its node or the leader unreachable, so a dead node is not hammered. */
const UNREACHABLE_PAUSE_MS = 100;
/** How long the final reads may keep retrying, in total. */
const FINAL_READS_MS = 30_000;

function decode(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

export class RegisterWorkload implements Workload {
  readonly name = 'register';
  private readonly keysAtOnce: number;
  private readonly opsPerKey: number;
  private readonly readShare: number;
  private slots: { key: string; used: number }[] = [];
  private readonly usedKeys: string[] = [];
  /** Values recently seen on each key (from ok reads and writes), for compare-and-set guesses. */
  private readonly recent = new Map<string, (number | string | null)[]>();
  private nextValue = 1;
  private nextKey = 0;
  private finalReads = { ok: 0, failed: 0 };

  constructor(options: RegisterWorkloadOptions = {}) {
    this.keysAtOnce = options.keys ?? 3;
    this.opsPerKey = options.opsPerKey ?? 250;
    this.readShare = options.readShare ?? 0.5;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    this.slots = Array.from({ length: this.keysAtOnce }, () => ({ key: this.freshKey(ctx), used: 0 }));
  }

  async run(ctx: WorkloadContext): Promise<void> {
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.client(ctx, i)));
  }

  async finish(ctx: WorkloadContext): Promise<void> {
    const process = ctx.clients;
    const deadline = Date.now() + FINAL_READS_MS;
    for (const key of this.usedKeys) {
      for (;;) {
        const outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'read', key, input: null, isReadOnly: true },
          () => ctx.client.get(key, { timeoutMs: ctx.opTimeoutMs * 2 }),
          (r: RangeResult) => (r.kvs[0] ? decode(r.kvs[0].value) : null),
          (err) => (err instanceof CcmError && err.code === 'not_found' ? { type: 'ok', value: null } : undefined),
        );
        if (outcome.type === 'ok') {
          this.finalReads.ok++;
          break;
        }
        if (Date.now() > deadline) {
          this.finalReads.failed++;
          break;
        }
        await sleep(200);
      }
    }
  }

  check(history: readonly HistoryEvent[], options: CheckOptions): CheckResult[] {
    const linearizability = checkLinearizability(registerModel, history, { timeBudgetMs: options.timeBudgetMs });
    const lostWrites = checkLostWrites(pairOperations(history));
    return [linearizability, lostWrites];
  }

  stats(): Record<string, string | number> {
    return {
      'keys used': this.usedKeys.length,
      'operations per key (at most)': this.opsPerKey,
      'final reads': `${this.finalReads.ok} ok${this.finalReads.failed ? `, ${this.finalReads.failed} keys unread` : ''}`,
    };
  }

  private freshKey(ctx: WorkloadContext): string {
    const key = `/chaos/${ctx.runId}/register/${this.nextKey++}`;
    this.usedKeys.push(key);
    this.recent.set(key, [null]);
    return key;
  }

  /** A key for the next operation: a random slot; a slot whose key used its share moves on to a fresh key. */
  private takeKey(ctx: WorkloadContext): string {
    const slot = this.slots[ctx.random.int(0, this.slots.length - 1)];
    const key = slot.key;
    if (++slot.used >= this.opsPerKey) {
      slot.key = this.freshKey(ctx);
      slot.used = 0;
    }
    return key;
  }

  private saw(key: string, value: number | string | null): void {
    const list = this.recent.get(key) ?? [];
    list.push(value);
    if (list.length > 4) list.shift();
    this.recent.set(key, list);
  }

  private async client(ctx: WorkloadContext, process: number): Promise<void> {
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    const call = <T>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> =>
      ctx.client.call<T>(method, path, body, { node, query, timeoutMs: ctx.opTimeoutMs });
    while (ctx.isRunning()) {
      const key = this.takeKey(ctx);
      const dice = ctx.random.next();
      let outcome;
      if (dice < this.readShare) {
        outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'read', key, input: null, isReadOnly: true },
          () => call<RangeResult>('GET', '/v1/kv', undefined, { key }),
          (r) => (r.kvs[0] ? decode(r.kvs[0].value) : null),
          (err) => (err instanceof CcmError && err.code === 'not_found' ? { type: 'ok', value: null } : undefined),
        );
        if (outcome.type === 'ok') this.saw(key, outcome.value as number | null);
      } else if (dice < this.readShare + (1 - this.readShare) / 2) {
        const value = this.nextValue++;
        outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'write', key, input: value },
          () => call<KvPutResult>('PUT', '/v1/kv', { key, value: String(value) }),
          (r) => ({ revision: r.revision }),
        );
        if (outcome.type === 'ok') this.saw(key, value);
      } else {
        const seen = this.recent.get(key) ?? [null];
        const from = seen[ctx.random.int(0, seen.length - 1)];
        const to = this.nextValue++;
        const condition = from === null ? { ifAbsent: true } : { ifValue: String(from) };
        outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'cas', key, input: [from, to] },
          () => call<KvPutResult>('PUT', '/v1/kv', { key, value: String(to), ...condition }),
          (r) => ({ revision: r.revision }),
        );
        if (outcome.type === 'ok') this.saw(key, to);
      }
      if (outcome.type !== 'ok' && outcome.isUnreachable) await sleep(UNREACHABLE_PAUSE_MS);
    }
  }
}
