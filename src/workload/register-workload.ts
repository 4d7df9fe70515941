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
 * On the wire a value is its decimal text. The workload reaches the keys through a transport: ccm's HTTP API (`cas`
 * is a PUT with `ifValue`, or `ifAbsent` for null), or etcd's v3 API with an etcd client (the `etcd` workload:
 * `cas` is a txn comparing the value, or the create revision with 0). After the heal, one more process reads every
 * key once (linearizably) for the lost-writes check, through the same transport.
 *
 * Checkers: linearizability (register model, per key) and lost writes (each acknowledged write is the final
 * value or was overwritten by a write that may have come after it).
 */
import { checkLinearizability, checkLostWrites, pairOperations, registerModel, type CheckResult, type HistoryEvent } from '../check/index.js';
import { CcmError } from '../errors/ccm-error.js';
import type { KvPutResult, RangeResult } from '../api/api-types.js';
import { recordOperation, sleep } from './operation.js';
import { fixedBackoff, retry } from '../time/backoff.js';
import type { CheckOptions, Workload, WorkloadContext } from './workload.js';

/**
 * How the register workload reaches a key. Every call is one attempt; a failure is a CcmError whose code says
 * whether it may have taken effect (see operation.ts), and a compare that failed is `failed_precondition`.
 */
export interface RegisterTransport {
  /** The workload's name with this transport. */
  readonly name: string;
  setup?(ctx: WorkloadContext): Promise<void>;
  /** The key's value as text, or null when it does not exist; `process` picks the node (its pinned one), or any. */
  read(ctx: WorkloadContext, key: string, process: number | null, timeoutMs: number): Promise<string | null>;
  write(ctx: WorkloadContext, key: string, value: string, process: number): Promise<{ revision: number }>;
  /** Puts `to` if the value is `from` (null: if the key does not exist). */
  cas(ctx: WorkloadContext, key: string, from: string | null, to: string, process: number): Promise<{ revision: number }>;
  close?(): void;
}

/** ccm's HTTP API, a client pinned to one node per process. */
export const HTTP_TRANSPORT: RegisterTransport = {
  name: 'register',
  async read(ctx, key, process, timeoutMs) {
    try {
      const r =
        process === null
          ? await ctx.client.get(key, { timeoutMs })
          : await ctx.client.call<RangeResult>('GET', '/v1/kv', undefined, { node: pinned(ctx, process), query: { key }, timeoutMs });
      return r.kvs[0]?.value ?? null;
    } catch (err) {
      if (err instanceof CcmError && err.code === 'not_found') return null;
      throw err;
    }
  },
  async write(ctx, key, value, process) {
    const r = await ctx.client.call<KvPutResult>('PUT', '/v1/kv', { key, value }, { node: pinned(ctx, process), timeoutMs: ctx.opTimeoutMs });
    return { revision: r.revision };
  },
  async cas(ctx, key, from, to, process) {
    const condition = from === null ? { ifAbsent: true } : { ifValue: from };
    const r = await ctx.client.call<KvPutResult>('PUT', '/v1/kv', { key, value: to, ...condition }, { node: pinned(ctx, process), timeoutMs: ctx.opTimeoutMs });
    return { revision: r.revision };
  },
};

function pinned(ctx: WorkloadContext, process: number): string {
  return ctx.endpoints[process % ctx.endpoints.length].id;
}

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
  readonly name: string;
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

  constructor(
    options: RegisterWorkloadOptions = {},
    private readonly transport: RegisterTransport = HTTP_TRANSPORT,
  ) {
    this.name = transport.name;
    this.keysAtOnce = options.keys ?? 3;
    this.opsPerKey = options.opsPerKey ?? 250;
    this.readShare = options.readShare ?? 0.5;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    await this.transport.setup?.(ctx);
    this.slots = Array.from({ length: this.keysAtOnce }, () => ({ key: this.freshKey(ctx), used: 0 }));
  }

  async run(ctx: WorkloadContext): Promise<void> {
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.client(ctx, i)));
  }

  async finish(ctx: WorkloadContext): Promise<void> {
    const process = ctx.clients;
    const deadline = Date.now() + FINAL_READS_MS;
    for (const key of this.usedKeys) {
      // Every try is an operation of its own in the history.
      const isRead = await retry(
        async () => {
          const outcome = await recordOperation(
            ctx.recorder,
            { process, f: 'read', key, input: null, isReadOnly: true },
            () => this.transport.read(ctx, key, null, ctx.opTimeoutMs * 2),
            (value) => (value === null ? null : decode(value)),
          );
          if (outcome.type !== 'ok') throw new Error(`final read of ${key} failed`);
        },
        { policy: fixedBackoff(200), deadlineMs: deadline },
      ).then(
        () => true,
        () => false,
      );
      if (isRead) this.finalReads.ok++;
      else this.finalReads.failed++;
    }
    this.transport.close?.();
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
    const t = this.transport;
    while (ctx.isRunning()) {
      const key = this.takeKey(ctx);
      const dice = ctx.random.next();
      let outcome;
      if (dice < this.readShare) {
        outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'read', key, input: null, isReadOnly: true },
          () => t.read(ctx, key, process, ctx.opTimeoutMs),
          (value) => (value === null ? null : decode(value)),
        );
        if (outcome.type === 'ok') this.saw(key, outcome.value as number | null);
      } else if (dice < this.readShare + (1 - this.readShare) / 2) {
        const value = this.nextValue++;
        outcome = await recordOperation(ctx.recorder, { process, f: 'write', key, input: value }, () => t.write(ctx, key, String(value), process), (r) => ({ revision: r.revision }));
        if (outcome.type === 'ok') this.saw(key, value);
      } else {
        const seen = this.recent.get(key) ?? [null];
        const from = seen[ctx.random.int(0, seen.length - 1)];
        const to = this.nextValue++;
        outcome = await recordOperation(
          ctx.recorder,
          { process, f: 'cas', key, input: [from, to] },
          () => t.cas(ctx, key, from === null ? null : String(from), String(to), process),
          (r) => ({ revision: r.revision }),
        );
        if (outcome.type === 'ok') this.saw(key, to);
      }
      if (outcome.type !== 'ok' && outcome.isUnreachable) await sleep(UNREACHABLE_PAUSE_MS);
    }
  }
}
