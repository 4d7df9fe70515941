/**
 * The lease workload (Jepsen's lock test, with fencing enforced by the server): client processes contend for a
 * few resources through the lease manager (POST /v1/locks/:resource/acquire|renew|release), and while they hold
 * one they write to the data it protects with their fencing token (PUT /v1/kv with `fence`): the core applies
 * such a write only if no newer grant of the resource exists (`stale_token` otherwise). Holds
 * are short and cycles quick, so a run makes hundreds of grants and fenced writes a minute on every resource,
 * which is what it takes to catch two holders at once, or a stale write let through. And now and then a holder
 * plays the paused process that wakes up after losing its lease (Kleppmann's example): a moment after releasing,
 * it writes once more with its old token, which the core must refuse if a newer grant exists by then (a waiter
 * in line is granted in the same command as the release).
 *
 * Operations on a resource (history shapes, as src/check/lease-exclusivity.ts reads them):
 * - `acquire`: input `{ ttlMs, wait }`; ok output `{ token, lease }`; fail when the resource stays held;
 * - `write`: input `{ token }`; ok output `{ revision }` (the core accepted it); fail `{ error: 'stale_token' }`;
 * - `renew`: input `{ token, lease }`; ok output `{ ttlMs }`;
 * - `release`: input `{ token, lease }`.
 * Checker: no two certain holders at once, tokens strictly increasing with real time, and no fenced write
 * accepted with a stale token (lower than an accepted one, or after a newer grant).
 */
import { checkLeaseExclusivity, pairOperations, type CheckResult, type HistoryEvent } from '../check/index.js';
import { CcmError } from '../errors/ccm-error.js';
import type { AcquireResponse, KvPutResult } from '../api/api-types.js';
import { recordOperation, sleep } from './operation.js';
import { requireApi, type CheckOptions, type Workload, type WorkloadContext } from './workload.js';

export interface LeaseWorkloadOptions {
  /** Lease TTL asked for (default 2 s). */
  ttlMs?: number;
  /** Longest a holder keeps a resource before releasing it (default 0.4 s). */
  maxHoldMs?: number;
  /** Resources the clients contend for (default: one per two clients, at least 4). */
  resources?: number;
}

const UNREACHABLE_PAUSE_MS = 100;
/** A waiting acquire waits at most this long in the queue. */
const WAIT_MS = 1000;
/** How often a holder writes once more with its token just after releasing (the core must refuse it). */
const ZOMBIE_WRITE_RATE = 0.2;

export class LeaseWorkload implements Workload {
  readonly name = 'lease';
  private readonly ttlMs: number;
  private readonly maxHoldMs: number;
  private readonly resourceCount: number;
  private resources: string[] = [];
  private dataPrefix = '';
  private readonly counts = { grants: 0, writesAccepted: 0, staleRefused: 0, renews: 0, releases: 0, lostDetected: 0, zombieWrites: 0 };
  private startedAtMs = 0;
  private endedAtMs = 0;

  constructor(options: LeaseWorkloadOptions = {}) {
    this.ttlMs = options.ttlMs ?? 2000;
    this.maxHoldMs = options.maxHoldMs ?? 400;
    this.resourceCount = options.resources ?? 0;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    await requireApi(ctx, 'lease', 'GET', '/v1/locks', 'the lease manager API');
    const count = this.resourceCount > 0 ? this.resourceCount : Math.max(4, Math.ceil(ctx.clients / 2));
    this.resources = Array.from({ length: count }, (_, i) => `chaos/${ctx.runId}/lock-${i}`);
    this.dataPrefix = `/chaos/${ctx.runId}/data/`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    this.startedAtMs = Date.now();
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.client(ctx, i)));
    this.endedAtMs = Date.now();
  }

  async finish(): Promise<void> {
    // nothing to read back: holds, tokens and writes were all recorded as they happened
  }

  check(history: readonly HistoryEvent[], _options?: CheckOptions): CheckResult[] {
    return [checkLeaseExclusivity(pairOperations(history))];
  }

  stats(): Record<string, string | number> {
    const minutes = Math.max(1e-9, (this.endedAtMs - this.startedAtMs) / 60_000);
    const perMinute = (n: number): string => `${n} (${Math.round(n / minutes)}/min)`;
    return {
      resources: this.resources.length,
      'lease TTL': `${this.ttlMs} ms`,
      grants: perMinute(this.counts.grants),
      'fenced writes accepted': perMinute(this.counts.writesAccepted),
      'stale tokens refused by the core': this.counts.staleRefused,
      'writes with a released token (refused once a newer grant exists)': this.counts.zombieWrites,
      renewals: this.counts.renews,
      releases: this.counts.releases,
      'holds given up as possibly lost': this.counts.lostDetected,
    };
  }

  /** One fenced write to the data the resource protects, recorded. */
  private async write(
    ctx: WorkloadContext,
    call: <T>(method: string, path: string, body?: unknown) => Promise<T>,
    process: number,
    resource: string,
    token: number,
    value: string,
  ): Promise<'ok' | 'stale' | 'other'> {
    const written = await recordOperation(
      ctx.recorder,
      { process, f: 'write', key: resource, input: { token } },
      () => call<KvPutResult>('PUT', '/v1/kv', { key: this.dataPrefix + resource, value, fence: { resource, token } }),
      (r) => ({ revision: r.revision }),
      (err) => (err instanceof CcmError && err.code === 'stale_token' ? { type: 'fail', value: { error: 'stale_token', message: err.message } } : undefined),
    );
    if (written.type === 'ok') return 'ok';
    return (written.value as { error?: string }).error === 'stale_token' ? 'stale' : 'other';
  }

  private async client(ctx: WorkloadContext, process: number): Promise<void> {
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    const holder = `p${process}`;
    const call = <T>(method: string, path: string, body?: unknown, timeoutMs = ctx.opTimeoutMs): Promise<T> =>
      ctx.client.call<T>(method, path, body, { node, timeoutMs });
    while (ctx.isRunning()) {
      const resource = this.resources[ctx.random.int(0, this.resources.length - 1)];
      const lockPath = `/v1/locks/${encodeURIComponent(resource)}`;
      // Mostly in line: a waiter is handed the resource the moment it is released (a grant without a round trip).
      const wait = ctx.random.next() < 0.7;
      const sentAt = Date.now();
      const acquired = await recordOperation(
        ctx.recorder,
        { process, f: 'acquire', key: resource, input: { ttlMs: this.ttlMs, wait } },
        () =>
          call<Extract<AcquireResponse, { granted: true }>>('POST', `${lockPath}/acquire`, { holder, ttlMs: this.ttlMs, wait, ...(wait ? { waitTimeoutMs: WAIT_MS } : {}) }, ctx.opTimeoutMs + (wait ? WAIT_MS : 0)),
        (r) => ({ token: r.token, lease: r.lease }),
      );
      if (acquired.type !== 'ok') {
        await sleep(acquired.isUnreachable ? UNREACHABLE_PAUSE_MS : ctx.random.int(5, 40));
        continue;
      }
      this.counts.grants++;
      const { token, lease, secret } = acquired.result;
      // What this holder may assume (counted from its request's send time; a waiter's from when it was woken, as
      // a lost hand-over shows up as a refused write anyway): it stops writing once the TTL may have run out.
      let validUntil = (acquired.result.waitedMs > 0 ? Date.now() : sentAt) + this.ttlMs * 0.9;
      const holdUntil = Date.now() + ctx.random.int(50, this.maxHoldMs);
      let isHolding = true;
      let writes = 0;
      while (isHolding && ctx.isRunning() && (Date.now() < holdUntil || writes === 0)) {
        if (Date.now() >= validUntil) {
          this.counts.lostDetected++;
          isHolding = false;
          break;
        }
        const written = await this.write(ctx, call, process, resource, token, `${holder}:${token}:${writes}`);
        writes++;
        if (written === 'ok') this.counts.writesAccepted++;
        else if (written === 'stale') {
          this.counts.staleRefused++;
          isHolding = false; // fenced out: a newer grant exists, or ours ended
          break;
        }
        await sleep(ctx.random.int(10, 60));
        if (Date.now() - (validUntil - this.ttlMs * 0.9) > this.ttlMs / 3) {
          const renewSentAt = Date.now();
          const renewed = await recordOperation(
            ctx.recorder,
            { process, f: 'renew', key: resource, input: { token, lease } },
            () => call<{ ttlMs: number }>('POST', `${lockPath}/renew`, { lease, secret }),
            (r) => ({ ttlMs: r.ttlMs }),
          );
          if (renewed.type === 'ok') {
            this.counts.renews++;
            validUntil = renewSentAt + this.ttlMs * 0.9;
          } else if (renewed.type === 'fail' && !renewed.isUnreachable) {
            isHolding = false; // the lease is gone (expired or revoked)
          }
        }
      }
      const released = await recordOperation(
        ctx.recorder,
        { process, f: 'release', key: resource, input: { token, lease } },
        () => call<{ revision: number }>('POST', `${lockPath}/release`, { lease, secret }),
        (r) => ({ revision: r.revision }),
      );
      if (released.type === 'ok') {
        this.counts.releases++;
        if (ctx.random.next() < ZOMBIE_WRITE_RATE) {
          this.counts.zombieWrites++;
          await sleep(ctx.random.int(30, 150)); // waking up late
          const zombie = await this.write(ctx, call, process, resource, token, `${holder}:${token}:after-release`);
          if (zombie === 'stale') this.counts.staleRefused++;
        }
      }
      await sleep(ctx.random.int(5, 40));
    }
  }
}
