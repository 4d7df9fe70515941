/**
 * Exercise 1, the lease manager: the learner's program gives its client time-limited exclusive access to a
 * resource, with a fencing token, on ccm's API. Three client processes contend for one resource: each acquires it,
 * writes to the resource's data key a few times, and releases it. Now and then the harness freezes a holder (SIGSTOP)
 * right after asking it to write, for longer than its lease: when it wakes up, another client holds the resource and
 * has written with a newer token; a fenced write must now be refused.
 *
 * The protocol (docs/exercises/client-protocol.md):
 *   {"id":1,"op":"acquire","resource":R,"ttl_ms":2000,"wait_ms":1000} → {"id":1,"ok":true,"token":T} | {"ok":false,"error":"held"}
 *   {"id":2,"op":"write","resource":R,"key":K,"value":V}            → {"ok":true} | {"ok":false,"error":"stale"}
 *     stores {"token":T,"value":V} (JSON) at K, never over a higher token
 *   {"id":3,"op":"release","resource":R}                             → {"ok":true}
 *
 * Checked with ccm's checkers: lease exclusivity and token order on what the clients said (src/check/lease-
 * exclusivity.ts), and fencing on what the data key really accepted, in revision order, as the harness's own watch
 * saw it (src/check/fencing-order.ts); plus the clients' word against the data: a write reported as done must be
 * there, a write reported as refused must not.
 */
import type { ScheduledFault } from '../../chaos/fault-schedule.js';
import { NEMESIS_KINDS, planFaults } from '../../chaos/fault-schedule.js';
import { checkFencingOrder, checkLeaseExclusivity, pairOperations, type AcceptedWrite } from '../../check/index.js';
import { watch, type Watch } from '../../client/ccm-client.js';
import { clusterEndpoints } from '../../cluster/cluster-client.js';
import type { ClusterFile } from '../../cluster/cluster-file.js';
import { SeededRandom } from '../../random/random.js';
import type { Figure } from '../exercise-result.js';
import type { ClientReply } from '../wire-schemas.js';
import type { ClientProcess } from './client-process.js';
import { ClientPauser, storeRevision, type RecipeContext, type RecipeRunOptions, type RecipeWorkload } from './recipe-run.js';

export const LEASE_TTL_MS = 2000;
const WAIT_MS = 1000;
const PAUSE_MS = LEASE_TTL_MS + 1500;
const FIRST_PAUSE_MS = 1000;
/**
 * The error words of a request that may or may not have happened (the cluster answers `timeout` when a write was
 * proposed but not known to commit in time): such a write, acquire or release is indeterminate, as one with no
 * reply, not refused. (A release recorded as refused while it took effect would make its holder look like it still
 * held the resource when the next one was granted.)
 */
export const INDETERMINATE_WRITE_ERRORS: ReadonlySet<string> = new Set(['timeout', 'unknown']);
const PAUSE_EVERY_MS = 6000;

interface WriteClaim {
  client: string;
  token: number | undefined;
  value: string;
  /** What the program answered: ok, refused (ok:false), or nothing in time. */
  outcome: 'ok' | 'refused' | 'unknown';
  error?: string;
}

export class LeaseRecipeWorkload implements RecipeWorkload {
  readonly clients = 3;
  private resource = '';
  private dataKey = '';
  private watcher: Watch | null = null;
  private readonly accepted: (AcceptedWrite & { raw: string })[] = [];
  private readonly claims = new Map<string, WriteClaim>();
  private pauser: ClientPauser | null = null;
  private readonly counts = { grants: 0, held: 0, writesOk: 0, writesRefused: 0, releases: 0 };
  private malformed: string[] = [];
  /** The error words of refused acquires (a few), to say why nothing was granted. */
  private readonly refusals = new Set<string>();

  schedule(file: ClusterFile, options: RecipeRunOptions): ScheduledFault[] {
    const nodes = file.nodes.map((n) => n.id);
    if (options.intensity === 'all') {
      return planFaults({ nemesis: [...NEMESIS_KINDS], nodes, voters: file.core, durationMs: options.durationMs, intervalMs: 3000, seed: options.seed });
    }
    // one leader crash in the middle of a longer run: tokens must keep growing across leaders
    if (options.durationMs < 10_000) return [];
    const startMs = Math.round(options.durationMs * 0.45);
    return [{ startMs, endMs: startMs + 3000, planned: { nemesis: 'kill', target: { leader: true } } }];
  }

  async setup(ctx: RecipeContext): Promise<void> {
    this.resource = `exercise/${ctx.runId}/lock`;
    this.dataKey = `/exercise/${ctx.runId}/data`;
    const atMs: number[] = [];
    for (let t = FIRST_PAUSE_MS; t + PAUSE_MS <= ctx.options.durationMs + 500; t += PAUSE_EVERY_MS) atMs.push(t);
    this.pauser = new ClientPauser(atMs, PAUSE_MS);
    const revision = await storeRevision(ctx.client, this.dataKey);
    this.watcher = watch(clusterEndpoints(ctx.file), this.dataKey, {
      fromRevision: revision + 1,
      onEvents: (events) => {
        for (const e of events) if (e.type === 'put') this.noteAccepted(e.kv.value, e.kv.modRevision);
      },
      reconnectTimeoutMs: 120_000,
    });
    this.watcher.done.catch((err: Error) => ctx.say(`  ! the harness's watch of the data key failed: ${err.message}`));
  }

  async run(ctx: RecipeContext): Promise<void> {
    await Promise.all(ctx.clients.map((c) => this.client(ctx, c)));
  }

  async finish(ctx: RecipeContext): Promise<void> {
    // Wait until the harness's watch has seen the data key's last change.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        const kv = (await ctx.client.get(this.dataKey).catch((err: { code?: string }) => (err.code === 'not_found' ? null : Promise.reject(err))))?.kvs[0];
        if (!kv || this.accepted.some((w) => w.revision >= kv.modRevision)) return;
      } catch {
        // the cluster is settling: try again
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    ctx.say('  ! the harness could not read the data key back within 15 s: the check may miss late writes');
  }

  close(): void {
    this.watcher?.close();
  }

  judge(ctx: RecipeContext): { reasons: string[]; figures: Figure[] } {
    const reasons: string[] = [...this.malformed];
    const operations = pairOperations(ctx.recorder.events);
    const exclusivity = checkLeaseExclusivity(operations.filter((op) => op.f !== 'write'));
    const fencing = checkFencingOrder(this.accepted);
    if (fencing.verdict === 'invalid') reasons.push(...fencing.violations.slice(0, 3).map((v) => v.description));
    if (exclusivity.verdict === 'invalid') reasons.push(...exclusivity.violations.slice(0, 3).map((v) => v.description));
    // the clients' word against the data key
    const seen = new Map(this.accepted.map((w) => [w.value, w]));
    for (const claim of this.claims.values()) {
      const stored = seen.get(claim.value);
      if (claim.outcome === 'ok' && !stored) reasons.push(`${claim.client} said its write ${JSON.stringify(claim.value)} succeeded, but the data key never held it`);
      if (claim.outcome === 'refused' && stored) reasons.push(`${claim.client} said its write ${JSON.stringify(claim.value)} was refused (${claim.error ?? 'no reason'}), but the data key accepted it at revision ${stored.revision}`);
      if (stored && claim.token !== undefined && stored.token !== undefined && stored.token !== claim.token) {
        reasons.push(`${claim.client} wrote ${JSON.stringify(claim.value)} with token ${stored.token}, but the token it was granted is ${claim.token}`);
      }
    }
    // a refusal as stale needs a newer token to have been written
    const highest = Math.max(-Infinity, ...this.accepted.map((w) => w.token ?? -Infinity));
    for (const claim of this.claims.values()) {
      if (claim.outcome === 'refused' && claim.error === 'stale' && claim.token !== undefined && !(highest > claim.token)) {
        reasons.push(`${claim.client} refused its write ${JSON.stringify(claim.value)} as stale, but no write with a token above its ${claim.token} was ever accepted`);
        break;
      }
    }
    // Nothing granted, nothing to judge: a program whose every acquire is refused (a starter, or one the cluster turns
    // away) must not pass on an empty history.
    if (this.counts.grants === 0) reasons.push(`no acquire was ever granted (${this.counts.held} refused${this.refusals.size > 0 ? `: ${[...this.refusals].slice(0, 3).join(', ')}` : ''})`);
    const sent = [...this.claims.values()].length;
    if (sent > 0 && this.accepted.length === 0) reasons.push(`none of the ${sent} writes reached the data key: every one was refused or unanswered`);
    const figures: Figure[] = [
      { name: 'grants', value: String(this.counts.grants) },
      { name: 'acquires refused (held)', value: String(this.counts.held) },
      { name: 'writes accepted by the data key', value: String(this.accepted.length) },
      { name: 'writes refused by the program', value: String(this.counts.writesRefused) },
      { name: 'holders paused past their lease', value: String(this.pauser?.pauses.length ?? 0) },
      { name: 'lease exclusivity', value: exclusivity.verdict },
      { name: 'fencing (data key order)', value: fencing.verdict },
    ];
    return { reasons, figures };
  }

  private noteAccepted(raw: string, revision: number): void {
    let token: number | undefined;
    let value = raw;
    try {
      const parsed = JSON.parse(raw) as { token?: unknown; value?: unknown };
      if (typeof parsed.token === 'number' && Number.isFinite(parsed.token)) token = parsed.token;
      if (typeof parsed.value === 'string') value = parsed.value;
    } catch {
      if (this.malformed.length < 3) this.malformed.push(`the data key was written ${JSON.stringify(raw.slice(0, 80))} at revision ${revision}, which is not {"token":T,"value":V}`);
    }
    const writer = value.split('-')[0];
    this.accepted.push({ revision, token, value, writer, raw });
  }

  private async client(ctx: RecipeContext, c: ClientProcess): Promise<void> {
    const random = new SeededRandom(ctx.options.seed * 31 + c.index);
    let seq = 0;
    const opTimeoutMs = LEASE_TTL_MS + WAIT_MS + 3000;
    while (ctx.isRunning()) {
      const acquired = await this.op(ctx, c, 'acquire', { ttlMs: LEASE_TTL_MS }, { resource: this.resource, ttl_ms: LEASE_TTL_MS, wait_ms: WAIT_MS }, opTimeoutMs, (r) => {
        if (typeof r.token !== 'number') return 'acquire answered ok without a token';
        return null;
      });
      if (acquired?.ok !== true) {
        if (acquired?.ok === false) {
          this.counts.held++;
          if (this.refusals.size < 5) this.refusals.add(acquired.error ?? 'no error word');
        }
        await sleep(random.int(20, 100));
        continue;
      }
      this.counts.grants++;
      const token = acquired.token!;
      const writes = random.int(1, 3);
      for (let i = 0; i < writes && ctx.isRunning(); i++) {
        const value = `${c.name}-${++seq}`;
        const claim: WriteClaim = { client: c.name, token, value, outcome: 'unknown' };
        this.claims.set(value, claim);
        const reply = await this.op(ctx, c, 'write', { token, value }, { resource: this.resource, key: this.dataKey, value }, opTimeoutMs, null, () => {
          if (this.pauser?.isDue(ctx.elapsedMs())) this.pauser.pause(c, ctx);
        });
        if (reply?.ok === true) {
          claim.outcome = 'ok';
          this.counts.writesOk++;
        } else if (reply?.ok === false && INDETERMINATE_WRITE_ERRORS.has(reply.error ?? '')) {
          claim.error = reply.error; // indeterminate: it may have landed; the fencing order still judges it
        } else if (reply?.ok === false) {
          claim.outcome = 'refused';
          claim.error = reply.error;
          this.counts.writesRefused++;
          break; // fenced out: it no longer holds the resource
        }
        await sleep(random.int(30, 120));
      }
      const released = await this.op(ctx, c, 'release', { token }, { resource: this.resource }, opTimeoutMs);
      if (released?.ok) this.counts.releases++;
      await sleep(random.int(20, 80));
    }
  }

  /**
   * One request, recorded: ok:true is ok, ok:false a definite failure, no reply indeterminate. `afterSend` runs
   * right after the request went out (to pause the client mid-operation). `check` may name a protocol breach.
   */
  private async op(
    ctx: RecipeContext,
    c: ClientProcess,
    f: 'acquire' | 'write' | 'release',
    input: Record<string, unknown>,
    fields: Record<string, unknown>,
    timeoutMs: number,
    check: ((r: ClientReply) => string | null) | null = null,
    afterSend?: () => void,
  ): Promise<ClientReply | null> {
    const key = f === 'write' ? this.dataKey : this.resource;
    ctx.recorder.invoke(c.index, f, key, input);
    const pending = c.request(f, fields, timeoutMs);
    afterSend?.();
    const reply = await pending;
    if (reply === null) {
      ctx.recorder.complete(c.index, 'info', { error: 'no reply' });
      return null;
    }
    const breach = reply.ok ? check?.(reply) : null;
    if (breach) {
      ctx.recorder.complete(c.index, 'info', { error: 'protocol', message: breach });
      this.malformed.push(`${c.name}: ${breach} (${JSON.stringify(reply).slice(0, 120)})`);
      return null;
    }
    if (reply.ok) ctx.recorder.complete(c.index, 'ok', f === 'acquire' ? { token: reply.token } : {});
    else if (INDETERMINATE_WRITE_ERRORS.has(reply.error ?? '')) ctx.recorder.complete(c.index, 'info', { error: reply.error!, message: reply.message ?? '' });
    else ctx.recorder.complete(c.index, 'fail', { error: reply.error ?? 'refused', message: reply.message ?? '' });
    return reply;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
