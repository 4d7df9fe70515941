/**
 * Exercise 4b, leader election on the core (the recipe of etcd's concurrency.Election, Curator's LeaderLatch and
 * `consul lock`): unlike the spontaneous election of exercise 4, leadership is a lease in the consistent core, so
 * there is at most one leader per term even under a partition. The catch is on the client: a leader that is paused
 * past its lease must know, when it wakes up, that it may no longer lead.
 *
 * Three client processes campaign for one election; the leader is asked `is_leader` a few times, then resigns.
 * Now and then the harness freezes the leader (SIGSTOP) for longer than its lease, and asks it again as soon as it
 * wakes: by then another client has won a newer term.
 *
 * The protocol (docs/exercises/client-protocol.md):
 *   {"op":"campaign","election":E,"ttl_ms":2000,"wait_ms":1500} → {"ok":true,"term":T} | {"ok":false,"error":"timeout"}
 *   {"op":"is_leader","election":E}                               → {"ok":true,"leader":true,"term":T} | {"ok":true,"leader":false}
 *   {"op":"resign","election":E}                                  → {"ok":true}
 * Checked with ccm's election checker (src/check/election-safety.ts): at most one leader per term, terms increasing,
 * no leader claiming an old term once a newer one was won.
 */
import type { ScheduledFault } from '../../chaos/fault-schedule.js';
import { NEMESIS_KINDS, planFaults } from '../../chaos/fault-schedule.js';
import { checkElectionSafety, pairOperations } from '../../check/index.js';
import type { ClusterFile } from '../../cluster/cluster-file.js';
import { SeededRandom } from '../../random/random.js';
import type { Figure } from '../exercise-result.js';
import type { ClientReply } from '../wire-schemas.js';
import type { ClientProcess } from './client-process.js';
import { ClientPauser, type RecipeContext, type RecipeRunOptions, type RecipeWorkload } from './recipe-run.js';

export const LEADERSHIP_TTL_MS = 2000;
const WAIT_MS = 1500;
const PAUSE_MS = LEADERSHIP_TTL_MS + 1500;

export class ElectionRecipeWorkload implements RecipeWorkload {
  readonly clients = 3;
  private election = '';
  private pauser: ClientPauser | null = null;
  private readonly counts = { terms: 0, claims: 0, denials: 0, resigns: 0 };
  private readonly breaches: string[] = [];

  schedule(file: ClusterFile, options: RecipeRunOptions): ScheduledFault[] {
    if (options.intensity === 'all') {
      return planFaults({ nemesis: [...NEMESIS_KINDS], nodes: file.nodes.map((n) => n.id), voters: file.core, durationMs: options.durationMs, intervalMs: 3000, seed: options.seed });
    }
    if (options.durationMs < 10_000) return [];
    const startMs = Math.round(options.durationMs * 0.45);
    return [{ startMs, endMs: startMs + 3000, planned: { nemesis: 'kill', target: { leader: true } } }];
  }

  async setup(ctx: RecipeContext): Promise<void> {
    this.election = `exercise-${ctx.runId}`;
    const atMs: number[] = [];
    for (let t = 1000; t + PAUSE_MS <= ctx.options.durationMs + 500; t += 6000) atMs.push(t);
    this.pauser = new ClientPauser(atMs, PAUSE_MS);
  }

  async run(ctx: RecipeContext): Promise<void> {
    await Promise.all(ctx.clients.map((c) => this.client(ctx, c)));
  }

  async finish(): Promise<void> {
    // every claim was recorded as it was made
  }

  judge(ctx: RecipeContext): { reasons: string[]; figures: Figure[] } {
    const result = checkElectionSafety(pairOperations(ctx.recorder.events));
    const reasons = [...this.breaches, ...(result.verdict === 'invalid' ? result.violations.slice(0, 5).map((v) => v.description) : [])];
    if (this.counts.terms === 0) reasons.push('no campaign was ever won');
    return {
      reasons,
      figures: [
        { name: 'terms won', value: String(this.counts.terms) },
        { name: 'leadership claims (is_leader: true)', value: String(this.counts.claims) },
        { name: 'leaders that knew they lost', value: String(this.counts.denials) },
        { name: 'leaders paused past their lease', value: String(this.pauser?.pauses.length ?? 0) },
        { name: 'election safety', value: result.verdict },
      ],
    };
  }

  private async client(ctx: RecipeContext, c: ClientProcess): Promise<void> {
    const random = new SeededRandom(ctx.options.seed * 17 + c.index);
    const timeoutMs = LEADERSHIP_TTL_MS + WAIT_MS + 3000;
    while (ctx.isRunning()) {
      const won = await this.op(ctx, c, 'campaign', { ttlMs: LEADERSHIP_TTL_MS }, { election: this.election, ttl_ms: LEADERSHIP_TTL_MS, wait_ms: WAIT_MS }, timeoutMs);
      if (won?.ok !== true || typeof won.term !== 'number') {
        if (won?.ok === true) this.breaches.push(`${c.name}: campaign answered ok without a term (${JSON.stringify(won).slice(0, 120)})`);
        await sleep(random.int(50, 200));
        continue;
      }
      this.counts.terms++;
      const checks = random.int(3, 8);
      for (let i = 0; i < checks && ctx.isRunning(); i++) {
        if (this.pauser?.isDue(ctx.elapsedMs())) {
          this.pauser.pause(c, ctx);
          await sleep(PAUSE_MS + 50);
        }
        const answer = await this.op(ctx, c, 'is_leader', {}, { election: this.election }, timeoutMs);
        if (answer?.ok === true && answer.leader === true) this.counts.claims++;
        if (answer?.ok === true && answer.leader === false) {
          this.counts.denials++;
          break;
        }
        await sleep(random.int(100, 250));
      }
      await this.op(ctx, c, 'resign', {}, { election: this.election }, timeoutMs);
      this.counts.resigns++;
      await sleep(random.int(20, 100));
    }
  }

  private async op(ctx: RecipeContext, c: ClientProcess, op: 'campaign' | 'is_leader' | 'resign', input: Record<string, unknown>, fields: Record<string, unknown>, timeoutMs: number): Promise<ClientReply | null> {
    const f = op === 'is_leader' ? 'is-leader' : op;
    ctx.recorder.invoke(c.index, f, this.election, input);
    const reply = await c.request(op, fields, timeoutMs);
    if (reply === null) {
      ctx.recorder.complete(c.index, 'info', { error: 'no reply' });
    } else if (!reply.ok) {
      ctx.recorder.complete(c.index, 'fail', { error: reply.error ?? 'refused' });
    } else {
      ctx.recorder.complete(c.index, 'ok', {
        ...(reply.term !== undefined ? { term: reply.term } : {}),
        ...(reply.leader !== undefined ? { leader: reply.leader } : {}),
      });
    }
    return reply;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
