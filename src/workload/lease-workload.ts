/**
 * The lease workload (Jepsen's lock test, with fencing): client processes contend for one resource through
 * the lease manager (POST /v1/locks/:resource/acquire|renew|release). A holder uses the resource with its
 * fencing token, renews while it holds it, then releases it. The protected resource is a fenced register on
 * the core: it accepts a token only if it is at least the highest it accepted (a read, then a compare-and-set
 * on the register's mod revision), so a stale holder is turned away.
 *
 * Operations on the resource (history shapes, as src/check/lease-exclusivity.ts reads them):
 * - `acquire`: input `{ ttlMs, wait }`; ok output `{ token, lease }`; fail when the resource stays held;
 * - `use`: input `{ token }`; ok output `{ previous }` (the highest token accepted before); fail when the
 *   resource refused the token as stale;
 * - `renew`: input `{ token, lease }`; ok output `{ ttlMs }`;
 * - `release`: input `{ token, lease }`.
 * Checker: no two certain holders at once (a hold runs from the acquire's completion to the release's
 * invocation or the TTL from the last renew's invocation), tokens strictly increasing with real time, and the
 * resource never accepting a stale token.
 */
import { checkLeaseExclusivity, pairOperations, type CheckResult, type HistoryEvent } from '../check/index.js';
import { CcmError } from '../client/api-errors.js';
import type { AcquireResponse, KvPutResult, RangeResult } from '../client/api-types.js';
import { recordOperation, sleep } from './operation.js';
import { requireApi, type CheckOptions, type Workload, type WorkloadContext } from './workload.js';

export interface LeaseWorkloadOptions {
  /** Lease TTL asked for (default 2 s). */
  ttlMs?: number;
  /** Longest a holder keeps the resource before releasing it (default 0.7 s). */
  maxHoldMs?: number;
}

const UNREACHABLE_PAUSE_MS = 100;
/** A waiting acquire waits at most this long in the queue. */
const WAIT_MS = 1000;
/** Tries of the fenced register's compare-and-set before a use gives up (someone else kept writing). */
const USE_ATTEMPTS = 5;

export class LeaseWorkload implements Workload {
  readonly name = 'lease';
  private readonly ttlMs: number;
  private readonly maxHoldMs: number;
  private resource = '';
  private fencedKey = '';
  private readonly counts = { grants: 0, uses: 0, staleRefused: 0, renews: 0, releases: 0 };

  constructor(options: LeaseWorkloadOptions = {}) {
    this.ttlMs = options.ttlMs ?? 2000;
    this.maxHoldMs = options.maxHoldMs ?? 700;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    await requireApi(ctx, 'lease', 'GET', '/v1/locks', 'the lease manager API');
    this.resource = `chaos/${ctx.runId}/lock`;
    this.fencedKey = `/chaos/${ctx.runId}/fenced`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.client(ctx, i)));
  }

  async finish(): Promise<void> {
    // nothing to read back: holds, tokens and uses were all recorded as they happened
  }

  check(history: readonly HistoryEvent[], _options?: CheckOptions): CheckResult[] {
    return [checkLeaseExclusivity(pairOperations(history))];
  }

  stats(): Record<string, string | number> {
    return {
      resource: this.resource,
      'lease TTL': `${this.ttlMs} ms`,
      grants: this.counts.grants,
      'uses accepted': this.counts.uses,
      'stale tokens refused': this.counts.staleRefused,
      renewals: this.counts.renews,
      releases: this.counts.releases,
    };
  }

  private async client(ctx: WorkloadContext, process: number): Promise<void> {
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    const holder = `p${process}`;
    const call = <T>(method: string, path: string, body?: unknown, timeoutMs = ctx.opTimeoutMs): Promise<T> =>
      ctx.client.call<T>(method, path, body, { node, timeoutMs });
    const lockPath = `/v1/locks/${encodeURIComponent(this.resource)}`;
    while (ctx.isRunning()) {
      const wait = ctx.random.next() < 0.5;
      const acquired = await recordOperation(
        ctx.recorder,
        { process, f: 'acquire', key: this.resource, input: { ttlMs: this.ttlMs, wait } },
        () =>
          call<Extract<AcquireResponse, { granted: true }>>('POST', `${lockPath}/acquire`, { holder, ttlMs: this.ttlMs, wait, ...(wait ? { waitTimeoutMs: WAIT_MS } : {}) }, ctx.opTimeoutMs + (wait ? WAIT_MS : 0)),
        (r) => ({ token: r.token, lease: r.lease }),
      );
      if (acquired.type !== 'ok') {
        await sleep(acquired.isUnreachable ? UNREACHABLE_PAUSE_MS : ctx.random.int(10, 60));
        continue;
      }
      this.counts.grants++;
      const { token, lease } = acquired.result;
      const holdUntil = Date.now() + ctx.random.int(100, this.maxHoldMs);
      let renewedAt = Date.now();
      let isHolding = true;
      while (isHolding && ctx.isRunning() && Date.now() < holdUntil) {
        const used = await recordOperation(
          ctx.recorder,
          { process, f: 'use', key: this.resource, input: { token } },
          () => this.use(call, token),
          (r) => r,
          (err) =>
            err instanceof CcmError && (err.details as { stale?: boolean } | undefined)?.stale === true
              ? { type: 'fail', value: { error: 'stale_token', message: err.message } }
              : undefined,
        );
        if (used.type === 'ok') this.counts.uses++;
        else if ((used.value as { error?: string }).error === 'stale_token') {
          this.counts.staleRefused++;
          isHolding = false; // fenced out: a later holder has used it
          break;
        }
        await sleep(ctx.random.int(30, 150));
        if (Date.now() - renewedAt > this.ttlMs / 3) {
          const renewed = await recordOperation(
            ctx.recorder,
            { process, f: 'renew', key: this.resource, input: { token, lease } },
            () => call<{ ttlMs: number }>('POST', `${lockPath}/renew`, { lease }),
            (r) => ({ ttlMs: r.ttlMs }),
          );
          if (renewed.type === 'ok') {
            this.counts.renews++;
            renewedAt = Date.now();
          } else if (renewed.type === 'fail' && !renewed.isUnreachable) {
            isHolding = false; // the lease is gone (expired or revoked)
          }
        }
      }
      const released = await recordOperation(
        ctx.recorder,
        { process, f: 'release', key: this.resource, input: { token, lease } },
        () => call<{ revision: number }>('POST', `${lockPath}/release`, { lease }),
        (r) => ({ revision: r.revision }),
      );
      if (released.type === 'ok') this.counts.releases++;
      await sleep(ctx.random.int(10, 80));
    }
  }

  /**
   * The fenced resource: accepts `token` if it is at least the highest accepted so far. The check and the
   * write are one compare-and-set on the register's mod revision, retried if another use got in between.
   */
  private async use(call: <T>(method: string, path: string, body?: unknown) => Promise<T>, token: number): Promise<{ previous: number }> {
    for (let attempt = 0; attempt < USE_ATTEMPTS; attempt++) {
      let current: { token: number; modRevision: number } | null = null;
      try {
        const r = await call<RangeResult>('GET', `/v1/kv?key=${encodeURIComponent(this.fencedKey)}`);
        const kv = r.kvs[0];
        if (kv) current = { token: Number(kv.value), modRevision: kv.modRevision };
      } catch (err) {
        if (!(err instanceof CcmError && err.code === 'not_found')) throw err;
      }
      if (current !== null && token < current.token) {
        throw new CcmError('failed_precondition', `stale token ${token}: the resource has accepted token ${current.token}`, { stale: true });
      }
      try {
        await call<KvPutResult>('PUT', '/v1/kv', { key: this.fencedKey, value: String(token), ...(current ? { ifModRev: current.modRevision } : { ifAbsent: true }) });
        return { previous: current?.token ?? 0 };
      } catch (err) {
        // someone else's use got in between: look again
        if (!(err instanceof CcmError && (err.code === 'failed_precondition' || err.code === 'not_found'))) throw err;
      }
    }
    throw new CcmError('conflict', `the fenced register kept changing; gave up after ${USE_ATTEMPTS} tries`);
  }
}
