/**
 * Exercise 3, gossip: Maelstrom's broadcast workload. The harness sends `topology` (a grid, as Maelstrom does),
 * then `broadcast` requests carrying unique integers ("facts") to random nodes, and `read`s every node several times
 * a second, while the links lose, delay and duplicate messages and a partition comes and goes. After the heal it
 * waits for the facts to settle.
 *
 * Correct: every acknowledged fact ends up in every node's read, and no read holds a fact never broadcast.
 * Measured: time until every node has a fact (from its broadcast), rounds (the hops on the first path a fact took to
 * reach the last node: the harness sees every message and finds the fact's number in it), messages between nodes per
 * node per second, and messages per fact.
 */
import type { Figure } from '../exercise-result.js';
import { formatSeconds, percentile } from '../exercise-result.js';
import { ReadOk } from '../wire-schemas.js';
import type { ScheduledNetFault } from './net-nemesis.js';
import type { Body } from './node-network.js';
import { askAll, sleep, type ProtocolContext, type ProtocolRunOptions, type ProtocolWorkload } from './protocol-run.js';
import { SeededRandom } from '../../random/random.js';
import { partitionFault } from '../../chaos/partition-shapes.js';

/** Facts start here: large enough not to be mistaken for counters and message ids in the hop count. */
const FIRST_FACT = 1000;
const BROADCASTS_PER_SECOND = 10;
const READ_EVERY_MS = 200;
const REQUEST_TIMEOUT_MS = 1000;
/** The wait for facts to settle after the heal: as long as the run, from 5 s to 15 s. */
const settleMs = (durationMs: number): number => Math.min(15_000, Math.max(5000, durationMs));
/** The settle ends once no node's read has changed for this long. */
const STABLE_FOR_MS = 3000;
/** Numbers scanned per message for facts (a bound on the harness's work, not on the program). */
const SCAN_LIMIT = 50_000;

interface Fact {
  value: number;
  node: string;
  sentAtMs: number;
  /** acknowledged with broadcast_ok */
  isAcked: boolean;
  /** When the harness first saw it in every node's read. */
  everywhereAtMs: number | null;
}

/** Maelstrom's grid: nodes on a √n-wide grid, each a neighbour of the nodes next to it. */
export function gridTopology(ids: readonly string[]): Record<string, string[]> {
  const cols = Math.ceil(Math.sqrt(ids.length));
  const topology: Record<string, string[]> = {};
  ids.forEach((id, i) => {
    const [r, c] = [Math.floor(i / cols), i % cols];
    topology[id] = ids.filter((_, j) => {
      const [r2, c2] = [Math.floor(j / cols), j % cols];
      return (r === r2 && Math.abs(c - c2) === 1) || (c === c2 && Math.abs(r - r2) === 1);
    });
  });
  return topology;
}

export class GossipWorkload implements ProtocolWorkload {
  private readonly facts = new Map<number, Fact>();
  private readonly latest = new Map<string, { values: Set<number>; atMs: number }>();
  private readonly phantoms: string[] = [];
  /** fact → node → hops from the node it was broadcast to */
  private readonly hops = new Map<number, Map<string, number>>();
  private nextFact = FIRST_FACT;
  private mainEndMs = 0;
  private healedAtMs = 0;
  private sentDuringMain = 0;
  /** When a node's read last changed (ms into the run). */
  private lastChangeMs = 0;

  schedule(ids: readonly string[], options: ProtocolRunOptions): ScheduledNetFault[] {
    const d = options.durationMs;
    const random = new SeededRandom(options.seed);
    const at = (f: number): number => Math.round(d * f);
    const all = '*';
    if (options.intensity === 'all') {
      const isolated = ids[random.int(0, ids.length - 1)];
      const paused = ids[random.int(0, ids.length - 1)];
      return [
        { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'loss', a: all, b: all, rate: 0.35 } } },
        { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'delay', a: all, b: all, delayMs: 30, jitterMs: 60 } } },
        { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'duplicate', a: all, b: all, rate: 0.2 } } },
        { startMs: at(0.2), endMs: at(0.4), plan: { kind: 'link', fault: partitionFault('halves', ids, random) } },
        { startMs: at(0.5), endMs: at(0.65), plan: { kind: 'link', fault: partitionFault('isolate', ids, random, isolated) } },
        { startMs: at(0.7), endMs: at(0.85), plan: { kind: 'pause', node: paused } },
      ];
    }
    return [
      { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'delay', a: all, b: all, delayMs: 5, jitterMs: 10 } } },
      { startMs: 0, endMs: d, plan: { kind: 'link', fault: { kind: 'duplicate', a: all, b: all, rate: 0.05 } } },
      { startMs: at(0.1), endMs: at(0.9), plan: { kind: 'link', fault: { kind: 'loss', a: all, b: all, rate: 0.2 } } },
      { startMs: at(0.35), endMs: at(0.6), plan: { kind: 'link', fault: partitionFault('halves', ids, random) } },
    ];
  }

  async setup(ctx: ProtocolContext): Promise<void> {
    const topology = gridTopology(ctx.network.ids);
    await Promise.all(
      ctx.network.ids.map(async (id) => {
        const reply = await ctx.network.request(id, { type: 'topology', topology }, 5000);
        if (reply === null) ctx.network.rejectReply(id, { type: '(none)' }, 'no topology_ok within 5 s');
        else if (reply.type !== 'topology_ok') ctx.network.rejectReply(id, reply, `answered topology with type ${JSON.stringify(reply.type)} (want topology_ok)`);
      }),
    );
  }

  async run(ctx: ProtocolContext): Promise<void> {
    const random = new SeededRandom(ctx.options.seed ^ 0xb00);
    const reader = this.readLoop(ctx, () => ctx.isRunning());
    const inFlight: Promise<void>[] = [];
    while (ctx.isRunning()) {
      inFlight.push(this.broadcast(ctx, ctx.network.ids[random.int(0, ctx.network.ids.length - 1)]));
      await sleep(1000 / BROADCASTS_PER_SECOND);
    }
    this.mainEndMs = ctx.elapsedMs();
    this.sentDuringMain = Object.values(ctx.network.traffic).reduce((n, t) => n + t.sent, 0);
    await Promise.all(inFlight);
    await reader;
  }

  async settle(ctx: ProtocolContext): Promise<void> {
    this.healedAtMs = ctx.elapsedMs();
    this.lastChangeMs = Math.max(this.lastChangeMs, this.healedAtMs);
    const deadline = performance.now() + settleMs(ctx.options.durationMs);
    // Until every acknowledged fact is everywhere, or nothing has changed in any read for a while (a program that
    // stopped spreading will not start again), or the deadline.
    await this.readLoop(ctx, () => performance.now() < deadline && !this.isSettled() && ctx.elapsedMs() - this.lastChangeMs < STABLE_FOR_MS);
  }

  judge(ctx: ProtocolContext): { reasons: string[]; figures: Figure[] } {
    const reasons: string[] = [...this.phantoms];
    const facts = [...this.facts.values()];
    const acked = facts.filter((f) => f.isAcked);
    for (const fact of acked) {
      const missing = ctx.network.ids.filter((id) => !this.latest.get(id)?.values.has(fact.value));
      if (missing.length === 0) continue;
      const last = Math.max(...missing.map((id) => this.latest.get(id)?.atMs ?? 0));
      reasons.push(
        `fact ${fact.value} (broadcast to ${fact.node} at ${formatSeconds(fact.sentAtMs)}, acknowledged) is missing from ${missing.join(', ')}: ` +
          `their last reads (up to ${formatSeconds(last)}, ${formatSeconds(last - this.healedAtMs)} after the heal) lack it`,
      );
    }
    if (acked.length === 0) reasons.push(`no broadcast was acknowledged (${facts.length} sent): does the program answer broadcast with broadcast_ok?`);
    const delays = facts.filter((f) => f.everywhereAtMs !== null).map((f) => f.everywhereAtMs! - f.sentAtMs).sort((a, b) => a - b);
    const rounds = facts
      .map((f) => this.hops.get(f.value))
      .filter((m): m is Map<string, number> => m !== undefined && m.size === ctx.network.ids.length)
      .map((m) => Math.max(...m.values()))
      .sort((a, b) => a - b);
    const nodes = ctx.network.ids.length;
    const seconds = Math.max(0.001, this.mainEndMs / 1000);
    const lost = acked.filter((f) => ctx.network.ids.some((id) => !this.latest.get(id)?.values.has(f.value))).length;
    const figures: Figure[] = [
      { name: 'facts broadcast (acknowledged)', value: `${facts.length} (${acked.length})` },
      { name: 'facts lost', value: String(lost) },
      { name: 'time to reach every node, median', value: formatSeconds(percentile(delays, 50)) },
      { name: 'time to reach every node, p95', value: formatSeconds(percentile(delays, 95)) },
      { name: 'time to reach every node, max', value: formatSeconds(delays.length ? delays[delays.length - 1] : NaN) },
      { name: 'rounds to reach every node, median', value: rounds.length ? String(percentile(rounds, 50)) : '-' },
      { name: 'rounds to reach every node, max', value: rounds.length ? String(rounds[rounds.length - 1]) : '-' },
      { name: 'messages between nodes / node / s', value: (this.sentDuringMain / nodes / seconds).toFixed(1) },
      { name: 'messages between nodes / fact', value: facts.length ? (this.sentDuringMain / facts.length).toFixed(1) : '-' },
    ];
    return { reasons, figures };
  }

  onDeliver(from: string, to: string, body: Body): void {
    if (this.hops.size === 0) return;
    const seen = new Set<number>();
    collectIntegers(body, seen, { left: SCAN_LIMIT });
    for (const value of seen) {
      const path = this.hops.get(value);
      if (!path) continue;
      const fromHops = path.get(from);
      if (fromHops !== undefined && !path.has(to)) path.set(to, fromHops + 1);
    }
  }

  private async broadcast(ctx: ProtocolContext, node: string): Promise<void> {
    const value = this.nextFact++;
    const fact: Fact = { value, node, sentAtMs: ctx.elapsedMs(), isAcked: false, everywhereAtMs: null };
    this.facts.set(value, fact);
    this.hops.set(value, new Map([[node, 0]]));
    const reply = await ctx.network.request(node, { type: 'broadcast', message: value }, REQUEST_TIMEOUT_MS);
    if (reply === null || reply.type === 'error') return;
    if (reply.type !== 'broadcast_ok') {
      ctx.network.rejectReply(node, reply, `answered broadcast with type ${JSON.stringify(reply.type)} (want broadcast_ok)`);
      return;
    }
    fact.isAcked = true;
  }

  private async readLoop(ctx: ProtocolContext, keepGoing: () => boolean): Promise<void> {
    while (keepGoing() && !ctx.isAborted()) {
      const started = performance.now();
      const answers = await askAll(ctx, { type: 'read' }, REQUEST_TIMEOUT_MS);
      const at = ctx.elapsedMs();
      for (const [node, reply] of answers) {
        if (reply === null || reply.type === 'error') continue;
        const parsed = ReadOk.validate(reply);
        if (!parsed.ok) {
          ctx.network.rejectReply(node, reply, `a read must be answered with {"type":"read_ok","messages":[integers]}: ${parsed.reason}`);
          return;
        }
        const values = new Set(parsed.value.messages);
        const before = this.latest.get(node)?.values;
        if (!before || before.size !== values.size) this.lastChangeMs = at;
        for (const v of values) {
          if (!this.facts.has(v) && this.phantoms.length < 20) {
            this.phantoms.push(`${node}'s read at ${formatSeconds(at)} returned ${v}, which was never broadcast`);
          }
        }
        this.latest.set(node, { values, atMs: at });
      }
      this.noteEverywhere(ctx, at);
      await sleep(Math.max(0, READ_EVERY_MS - (performance.now() - started)));
    }
  }

  private noteEverywhere(ctx: ProtocolContext, atMs: number): void {
    const sets = ctx.network.ids.map((id) => this.latest.get(id)?.values);
    if (sets.some((s) => s === undefined)) return;
    for (const fact of this.facts.values()) {
      if (fact.everywhereAtMs === null && sets.every((s) => s!.has(fact.value))) fact.everywhereAtMs = atMs;
    }
  }

  private isSettled(): boolean {
    for (const fact of this.facts.values()) if (fact.isAcked && fact.everywhereAtMs === null) return false;
    return true;
  }
}

/** Every integer in a message body (not its type or ids), up to a budget. */
function collectIntegers(value: unknown, out: Set<number>, budget: { left: number }, key = ''): void {
  if (budget.left <= 0) return;
  if (typeof value === 'number') {
    budget.left--;
    if (Number.isInteger(value) && key !== 'msg_id' && key !== 'in_reply_to') out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectIntegers(v, out, budget);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectIntegers(v, out, budget, k);
  }
}
