/**
 * The registry workload: two client processes in three play service instances one after another: each
 * registers an instance (on a lease), keeps it alive for a while with renewals while it looks the service up,
 * and then either deregisters it or dies (stops renewing, so its lease runs out). Every third process only
 * looks the service up, through its node, as a load balancer would. Lookups must never return an
 * instance that was certainly gone — deregistered, or its lease certainly ended — more than a margin before
 * the lookup began.
 *
 * Operations on the service `chaos.<run>` (history shapes, as src/check/registry-staleness.ts reads them):
 * - `register`: input `{ instanceId, ttlMs }` (POST /v1/services/:service/instances);
 * - `keepalive`: input `{ instanceId }` (POST /v1/service-instances/:id/renew);
 * - `deregister`: input `{ instanceId }` (DELETE /v1/service-instances/:id);
 * - `lookup`: ok output `{ instances: [ids] }` (GET /v1/services/:service, a linearizable read).
 *
 * The margin is the TTL plus 2 s plus the longest outage of the run. A lease ends when the Raft leader
 * expires it: a leader restarted from disk gives every lease it cannot vouch for a full TTL (as etcd's does),
 * an expiry waits for a leader to be elected, and while no leader can commit nothing expires at all. So a
 * lease may outlive its last renewal by up to about one TTL, an election, and however long the core could
 * commit nothing. That last is measured from the history: the longest stretch in which no client operation
 * (all of them need the leader) succeeded.
 */
import { checkRegistryStaleness, pairOperations, type CheckResult, type HistoryEvent } from '../check/index.js';
import { recordOperation, sleep } from './operation.js';
import { requireApi, type CheckOptions, type Workload, type WorkloadContext } from './workload.js';

export interface RegistryWorkloadOptions {
  /** Registration TTL (default 2 s). */
  ttlMs?: number;
  /** Longest an instance lives before it deregisters or dies (default 4 s). */
  maxLifeMs?: number;
  /** How long after its lease could have ended a lookup may still return an instance, besides the longest outage (default TTL + 2 s). */
  marginMs?: number;
}

const UNREACHABLE_PAUSE_MS = 100;

export class RegistryWorkload implements Workload {
  readonly name = 'registry';
  private readonly ttlMs: number;
  private readonly maxLifeMs: number;
  private readonly marginMs: number;
  private service = '';
  private runId = '';
  private readonly counts = { registered: 0, deregistered: 0, died: 0, lookups: 0 };
  private longestOutageMs = 0;
  private clients = 0;

  constructor(options: RegistryWorkloadOptions = {}) {
    this.ttlMs = options.ttlMs ?? 2000;
    this.maxLifeMs = options.maxLifeMs ?? 4000;
    this.marginMs = options.marginMs ?? this.ttlMs + 2000;
  }

  async setup(ctx: WorkloadContext): Promise<void> {
    await requireApi(ctx, 'registry', 'GET', '/v1/services', 'the service registry API');
    this.runId = ctx.runId;
    this.clients = ctx.clients;
    this.service = `chaos.${ctx.runId}`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    await Promise.all(Array.from({ length: ctx.clients }, (_, i) => this.client(ctx, i)));
  }

  async finish(ctx: WorkloadContext): Promise<void> {
    // After the heal every instance's lease has run out or been revoked: a last round of lookups, after the
    // recovery period, must not return any instance that is gone.
    const process = ctx.clients;
    for (let i = 0; i < 3; i++) {
      await this.lookup(ctx, process, undefined);
      await sleep(200);
    }
  }

  check(history: readonly HistoryEvent[], _options?: CheckOptions): CheckResult[] {
    // the main phase's clients only: the quiet recovery period before the final lookups is no outage
    this.longestOutageMs = longestOutageMs(history.filter((e) => e.process < this.clients));
    return [checkRegistryStaleness(pairOperations(history), { marginMs: this.marginMs + this.longestOutageMs })];
  }

  stats(): Record<string, string | number> {
    return {
      service: this.service,
      'registration TTL': `${this.ttlMs} ms`,
      'staleness margin': `${this.marginMs} ms + the longest outage, ${Math.round(this.longestOutageMs)} ms`,
      'instances registered': this.counts.registered,
      deregistered: this.counts.deregistered,
      'died (lease left to run out)': this.counts.died,
      lookups: this.counts.lookups,
    };
  }

  private async lookup(ctx: WorkloadContext, process: number, node: string | undefined): Promise<void> {
    const outcome = await recordOperation(
      ctx.recorder,
      { process, f: 'lookup', key: this.service, input: null, isReadOnly: true },
      () => ctx.client.call<{ instances: { id: string }[] }>('GET', `/v1/services/${this.service}`, undefined, { ...(node ? { node } : {}), timeoutMs: ctx.opTimeoutMs }),
      (r) => ({ instances: r.instances.map((i) => i.id) }),
    );
    if (outcome.type === 'ok') this.counts.lookups++;
    else if (outcome.isUnreachable) await sleep(UNREACHABLE_PAUSE_MS);
  }

  private async client(ctx: WorkloadContext, process: number): Promise<void> {
    const node = ctx.endpoints[process % ctx.endpoints.length].id;
    if (process % 3 === 2) {
      // an observer: looks the service up, over and over, through its node (as a load balancer would)
      while (ctx.isRunning()) {
        await this.lookup(ctx, process, node);
        await sleep(ctx.random.int(20, 80));
      }
      return;
    }
    const call = <T>(method: string, path: string, body?: unknown): Promise<T> => ctx.client.call<T>(method, path, body, { node, timeoutMs: ctx.opTimeoutMs });
    for (let n = 0; ctx.isRunning(); n++) {
      const instanceId = `${this.runId}-p${process}-${n}`;
      const registered = await recordOperation(
        ctx.recorder,
        { process, f: 'register', key: this.service, input: { instanceId, ttlMs: this.ttlMs } },
        () => call<{ id: string; secret: string }>('POST', `/v1/services/${this.service}/instances`, { id: instanceId, address: '127.0.0.1', port: 8000 + (n % 1000), ttlMs: this.ttlMs, by: 'chaos' }),
        (r) => ({ instanceId: r.id }),
      );
      if (registered.type !== 'ok') {
        // an indeterminate registration is abandoned: if it happened, its lease runs out
        if (registered.isUnreachable) await sleep(UNREACHABLE_PAUSE_MS);
        continue;
      }
      this.counts.registered++;
      const secret = registered.result.secret;
      const endAt = Date.now() + ctx.random.int(200, this.maxLifeMs);
      let renewedAt = Date.now();
      let isAlive = true;
      while (isAlive && ctx.isRunning() && Date.now() < endAt) {
        await this.lookup(ctx, process, node);
        if (Date.now() - renewedAt > this.ttlMs / 3) {
          const renewed = await recordOperation(
            ctx.recorder,
            { process, f: 'keepalive', key: this.service, input: { instanceId } },
            () => call<{ ttlMs: number }>('POST', `/v1/service-instances/${instanceId}/renew`, { secret }),
            (r) => ({ ttlMs: r.ttlMs }),
          );
          if (renewed.type === 'ok') renewedAt = Date.now();
          else if (renewed.type === 'fail' && !renewed.isUnreachable) isAlive = false; // its lease is gone
        }
        await sleep(ctx.random.int(30, 120));
      }
      if (ctx.random.next() < 0.5) {
        const deregistered = await recordOperation(
          ctx.recorder,
          { process, f: 'deregister', key: this.service, input: { instanceId } },
          () => call<{ revision: number }>('DELETE', `/v1/service-instances/${instanceId}`, { secret }),
          (r) => ({ revision: r.revision }),
        );
        if (deregistered.type === 'ok') this.counts.deregistered++;
      } else {
        this.counts.died++;
      }
    }
  }
}

/** The longest stretch between two successful operations (any process), from the first to the last: an outage. */
export function longestOutageMs(history: readonly HistoryEvent[]): number {
  let longest = 0;
  let lastOkMs: number | undefined;
  for (const event of history) {
    if (event.type !== 'ok') continue;
    if (lastOkMs !== undefined) longest = Math.max(longest, event.timeMs - lastOkMs);
    lastOkMs = event.timeMs;
  }
  return longest;
}
