/**
 * What every protocol exercise (gossip, failure-detection, election) shares: start the nodes on the harness's
 * network, run a workload under a fault schedule, heal, let it settle, stop everything, and turn what happened
 * into a RunResult. The workload is the part that differs.
 */
import type { Figure, ProgramProblem, RunResult } from '../exercise-result.js';
import { NetNemesis, stamp, type AppliedNetFault, type ScheduledNetFault } from './net-nemesis.js';
import { NodeNetwork, type Body, type NodeProblem } from './node-network.js';

export interface ProtocolRunOptions {
  /** The program to run as each node. */
  command: readonly string[];
  /** What the report calls this run. */
  label: string;
  nodeCount: number;
  durationMs: number;
  seed: number;
  /** 'all': every fault at once (exercise 6). */
  intensity: 'normal' | 'all';
  env?: Record<string, string>;
  signal?: AbortSignal;
  say?: (line: string) => void;
}

/** What a workload gets while it runs. */
export interface ProtocolContext {
  network: NodeNetwork;
  options: ProtocolRunOptions;
  /** ms since the main phase started. */
  elapsedMs(): number;
  /** True until the main phase ends (or the run is stopped). */
  isRunning(): boolean;
  /** True once the run must end now (a fatal problem, Ctrl-C). */
  isAborted(): boolean;
  /** The faults injected so far, with their times. */
  faults(): AppliedNetFault[];
  say(line: string): void;
}

export interface ProtocolWorkload {
  /** The fault schedule for this run (fixed by the seed). */
  schedule(ids: readonly string[], options: ProtocolRunOptions): ScheduledNetFault[];
  /** Called once the nodes answered init, before the faults start (topology, warm-up). */
  setup?(ctx: ProtocolContext): Promise<void>;
  /** The main phase: requests to the nodes while ctx.isRunning(). */
  run(ctx: ProtocolContext): Promise<void>;
  /** After every fault is healed: wait for convergence (bounded). */
  settle(ctx: ProtocolContext): Promise<void>;
  /** The verdict's reasons (empty: pass) and the figures. */
  judge(ctx: ProtocolContext): { reasons: string[]; figures: Figure[] };
  /** Which node most of the cluster names as leader now, for 'pause-leader' faults. */
  currentLeader?(): string | null;
  /** Every inter-node message before the link filters (for hop counting). */
  onSend?(from: string, to: string, body: Body, atMs: number): void;
  onDeliver?(from: string, to: string, body: Body, atMs: number): void;
}

/** Runs one program (the learner's or ccm's) through a workload; never throws for what the program does. */
export async function runProtocol(workload: ProtocolWorkload, options: ProtocolRunOptions): Promise<RunResult> {
  const say = options.say ?? (() => undefined);
  let fatal: NodeProblem | null = null;
  const network = new NodeNetwork({
    command: options.command,
    nodeCount: options.nodeCount,
    seed: options.seed,
    env: options.env,
    onFatal: (p) => {
      fatal = p;
      say(`  ! ${p.message}`);
    },
    onSend: workload.onSend?.bind(workload),
    onDeliver: workload.onDeliver?.bind(workload),
  });
  const schedule = workload.schedule(network.ids, options);
  let mainStartMs = Infinity;
  let isMainOver = false;
  const isAborted = (): boolean => fatal !== null || options.signal?.aborted === true;
  const nemesis = new NetNemesis(network, schedule, {
    say: (line) => say(line),
    resolveLeader: () => workload.currentLeader?.() ?? null,
  });
  const ctx: ProtocolContext = {
    network,
    options,
    elapsedMs: () => network.nowMs() - mainStartMs,
    isRunning: () => !isMainOver && !isAborted() && network.nowMs() - mainStartMs < options.durationMs,
    isAborted,
    faults: () => nemesis.applied,
    say,
  };
  const command = options.command.join(' ');
  try {
    say(`${options.label}: starting ${options.nodeCount} nodes: ${command}`);
    await network.start();
    if (!isAborted()) await workload.setup?.(ctx);
    if (!isAborted()) {
      mainStartMs = network.nowMs();
      say(`${stamp(0)}  main phase: ${(options.durationMs / 1000).toFixed(0)} s under ${schedule.length} scheduled fault${schedule.length === 1 ? '' : 's'}`);
      const faults = nemesis.run(() => ctx.elapsedMs(), () => !ctx.isRunning());
      await workload.run(ctx);
      isMainOver = true;
      await faults;
      nemesis.healAll(ctx.elapsedMs());
      if (!isAborted()) {
        say(`${stamp(ctx.elapsedMs())}  healed; waiting for the nodes to settle`);
        await workload.settle(ctx);
      }
    }
  } finally {
    isMainOver = true;
    nemesis.healAll(Number.isFinite(mainStartMs) ? ctx.elapsedMs() : 0);
    await network.stop();
  }
  const problem = fatal as NodeProblem | null;
  if (problem !== null) {
    return { label: options.label, command, verdict: 'fail', reasons: [problem.message], problem: toProgramProblem(problem), figures: [], faults: nemesis.applied, durationMs: options.durationMs };
  }
  if (options.signal?.aborted) {
    return { label: options.label, command, verdict: 'fail', reasons: ['interrupted'], figures: [], faults: nemesis.applied, durationMs: options.durationMs };
  }
  const judged = workload.judge(ctx);
  if (network.rateLimited() > 0) judged.figures.push({ name: 'lines dropped (over the rate limit)', value: String(network.rateLimited()) });
  return {
    label: options.label,
    command,
    verdict: judged.reasons.length === 0 ? 'pass' : 'fail',
    reasons: judged.reasons,
    figures: judged.figures,
    faults: nemesis.applied,
    durationMs: options.durationMs,
  };
}

function toProgramProblem(p: NodeProblem): ProgramProblem {
  return { kind: p.kind, process: p.node, message: p.message, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.stderr ? { stderr: p.stderr } : {}) };
}

/** Sends `request` to every node that is not paused, at once; the answers by node (null: none in time). */
export async function askAll(ctx: ProtocolContext, body: Omit<Body, 'msg_id'>, timeoutMs: number): Promise<Map<string, Body | null>> {
  const nodes = ctx.network.ids.filter((id) => !ctx.network.isPaused(id));
  const answers = await Promise.all(nodes.map(async (id) => [id, await ctx.network.request(id, body, timeoutMs)] as const));
  return new Map(answers);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sleeps in small steps, returning early once `stop` says so. */
export async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const end = performance.now() + ms;
  while (!stop() && performance.now() < end) await sleep(Math.min(50, end - performance.now()));
}
