/**
 * What every recipe exercise (lease, watch, election-recipe) shares: a real cluster (the one named by --name when it
 * runs, else a throwaway 3-node cluster started for the check and purged after it), the learner's program started
 * as several client processes that reach the cluster through CCM_ENDPOINTS with its client token in CCM_TOKEN, a
 * workload that drives them and records a Jepsen-style history, a seeded nemesis on the cluster (the nemesis of
 * `ccm chaos run`), and ccm's own checkers on the history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { healCluster } from '../../chaos/chaos-control.js';
import { clearChaosRunState, readChaosRunState, writeChaosRunState } from '../../chaos/chaos-run-state.js';
import type { ScheduledFault } from '../../chaos/fault-schedule.js';
import { Nemesis } from '../../chaos/nemesis.js';
import { explicitTokenOf } from '../../client/api-access.js';
import { CcmError } from '../../errors/ccm-error.js';
import { CcmClient } from '../../client/ccm-client.js';
import { clusterEndpoints } from '../../cluster/cluster-client.js';
import { clusterPaths, type ClusterPaths } from '../../cluster/cluster-dir.js';
import { readClusterTokens, secretPaths } from '../../cluster/cluster-secrets.js';
import { appendClusterEvent } from '../../cluster/cluster-events.js';
import { clusterExists, readRunningCluster, type ClusterFile } from '../../cluster/cluster-file.js';
import { byNodeId, downCluster, upCluster } from '../../cluster/launcher.js';
import { fixedBackoff, retry } from '../../time/backoff.js';
import { formatDuration } from '../../time/duration.js';
import { HistoryRecorder } from '../../workload/history-recorder.js';
import type { Figure, ProgramProblem, RunResult } from '../exercise-result.js';
import { stamp } from '../protocol/net-nemesis.js';
import type { WatchEventLine } from '../wire-schemas.js';
import { ClientProcess } from './client-process.js';

export interface RecipeRunOptions {
  command: readonly string[];
  label: string;
  /** The cluster to use if it runs (else a throwaway one is started). */
  paths: ClusterPaths;
  durationMs: number;
  seed: number;
  intensity: 'normal' | 'all';
  signal?: AbortSignal;
  say?: (line: string) => void;
}

/** What a recipe workload gets. */
export interface RecipeContext {
  options: RecipeRunOptions;
  file: ClusterFile;
  /** A client of the cluster for the harness's own reads and writes. */
  client: CcmClient;
  recorder: HistoryRecorder;
  clients: ClientProcess[];
  /** Unique per check: keys and resources carry it. */
  runId: string;
  /** ms since the main phase started (the recorder's clock). */
  elapsedMs(): number;
  isRunning(): boolean;
  isAborted(): boolean;
  say(line: string): void;
}

export interface RecipeWorkload {
  /** How many client processes. */
  readonly clients: number;
  /** The cluster faults of the main phase (the chaos nemesis's schedule). */
  schedule(file: ClusterFile, options: RecipeRunOptions): ScheduledFault[];
  /** Before the clients start: keys, the harness's own watches. */
  setup(ctx: RecipeContext): Promise<void>;
  /** Once the clients answered init: the main phase, until ctx.isRunning() turns false and every request returned. */
  run(ctx: RecipeContext): Promise<void>;
  /** After the heal: final phase (catch-up, final reads). */
  finish(ctx: RecipeContext): Promise<void>;
  judge(ctx: RecipeContext): { reasons: string[]; figures: Figure[] };
  onEvent?(client: ClientProcess, event: WatchEventLine['event'], atMs: number): void;
  /** Stops the harness's own watches and timers (always called). */
  close?(): void;
}

const INIT_TIMEOUT_MS = 10_000;

/** The cluster to run on: the named one if it runs, else a throwaway one (purged by `release`). */
export async function useCluster(paths: ClusterPaths, say: (line: string) => void): Promise<{ paths: ClusterPaths; release: () => Promise<void> }> {
  if (clusterExists(paths)) {
    try {
      readRunningCluster(paths);
      return { paths, release: async () => undefined };
    } catch (err) {
      if (!(err instanceof CcmError && err.code === 'not_running')) throw err;
    }
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-exercise-'));
  const throwaway = clusterPaths(home, 'exercise');
  say(`cluster "${paths.name}" is not running: starting a throwaway 3-node cluster for this check (in ${home})`);
  const release = async (): Promise<void> => {
    await downCluster(throwaway, { purge: true }).catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    await upCluster(throwaway, { nodes: 3, core: 3, heal: true });
  } catch (err) {
    await release();
    throw err;
  }
  return { paths: throwaway, release };
}

/**
 * The environment a client process gets: where the cluster is, the client token its API asks of every request
 * (never the admin one: a learner's program is a client), with TLS the CA to trust, and who it is.
 */
export function clientEnvironment(paths: ClusterPaths, file: ClusterFile, index: number, runId: string, exercise: string): Record<string, string> {
  const scheme = file.security.tls ? 'https' : 'http';
  const endpoints = [...file.nodes].sort((a, b) => byNodeId(a.id, b.id)).map((n) => `${scheme}://${file.host}:${n.ports.http}`);
  // Each client starts with a different node first (client i on node i), so that node failures hit every one.
  const rotated = endpoints.map((_, i) => endpoints[(i + index) % endpoints.length]);
  const env: Record<string, string> = {
    CCM_ENDPOINTS: rotated.join(','),
    CCM_TOKEN: clientToken(paths),
    CCM_CLIENT: `p${index}`,
    CCM_RUN: runId,
    CCM_EXERCISE: exercise,
  };
  if (file.security.tls) {
    const ca = secretPaths(paths).caCert;
    env.CCM_CACERT = ca;
    // Node's fetch and Python's ssl module trust it without code in the learner's program.
    env.NODE_EXTRA_CA_CERTS = ca;
    env.SSL_CERT_FILE = ca;
  }
  return env;
}

/**
 * The cluster's client token (`ccm env` prints it as CCM_TOKEN): from its secrets when this process can read them
 * (it owns the cluster; even when it was itself given the admin token), else the token it was given (--token,
 * CCM_TOKEN). Without either, the learner's requests could only be refused.
 */
function clientToken(paths: ClusterPaths): string {
  const token = readClusterTokens(paths)?.client ?? explicitTokenOf() ?? process.env.CCM_TOKEN;
  if (!token) throw new CcmError('failed_precondition', `cannot read the client token in ${secretPaths(paths).dir} (readable by the cluster's owner only), and no token was given (--token, CCM_TOKEN): the client processes could not use the cluster's API`);
  return token;
}

export async function runRecipe(exercise: string, workload: RecipeWorkload, options: RecipeRunOptions): Promise<RunResult> {
  const say = options.say ?? (() => undefined);
  const command = options.command.join(' ');
  const paths = options.paths;
  const running = readChaosRunState(paths);
  if (running !== null && running.pid !== process.pid) {
    throw new CcmError('failed_precondition', `a chaos run or exercise check is already in progress on cluster "${paths.name}" (pid ${running.pid}); wait for it to finish`);
  }
  const healedAtStart = await healCluster(paths);
  const leftovers = [...healedAtStart.removed, ...healedAtStart.resumed.map((n) => `${n} resumed`), ...healedAtStart.restarted.map((n) => `${n} restarted`)];
  if (leftovers.length > 0) say(`healed what was left from before: ${leftovers.join('; ')}`);
  const file = readRunningCluster(paths);
  const client = new CcmClient(clusterEndpoints(file), { timeoutMs: 2000 });
  await waitForWrites(client, `/exercise/ready`, 20_000);

  const recorder = new HistoryRecorder();
  const runId = `${options.seed}-${Date.now().toString(36)}`;
  let fatal: ProgramProblem | null = null;
  let isMainOver = false;
  let mainStartMs = Infinity;
  const isAborted = (): boolean => fatal !== null || options.signal?.aborted === true;
  const clients: ClientProcess[] = [];
  const ctx: RecipeContext = {
    options,
    file,
    client,
    recorder,
    clients,
    runId,
    elapsedMs: () => recorder.nowMs() - (Number.isFinite(mainStartMs) ? mainStartMs : recorder.nowMs()),
    isRunning: () => !isMainOver && !isAborted() && recorder.nowMs() - mainStartMs < options.durationMs,
    isAborted,
    say,
  };
  const environments = Array.from({ length: workload.clients }, (_, i) => clientEnvironment(paths, file, i, runId, exercise));
  for (let i = 0; i < workload.clients; i++) {
    clients.push(
      new ClientProcess({
        index: i,
        command: options.command,
        env: environments[i],
        nowMs: () => recorder.nowMs(),
        onEvent: (event, atMs) => workload.onEvent?.(clients[i], event, atMs),
        onFatal: (p) => {
          if (fatal !== null) return;
          fatal = p;
          say(`  ! ${p.message}`);
        },
      }),
    );
  }
  const nemesis = new Nemesis(paths, recorder, (line) => say(line), () => ctx.elapsedMs());
  writeChaosRunState(paths, { pid: process.pid, workload: `exercise ${exercise}`, nemesis: [], seed: options.seed, startedAtMs: Date.now() });
  appendClusterEvent(paths, 'cli', 'exercise-check-started', `exercise check ${exercise}: ${command}, seed ${options.seed}`);
  try {
    say(`${options.label}: ${workload.clients} client processes: ${command}`);
    await workload.setup(ctx);
    await Promise.all(clients.map((c) => c.start()));
    await Promise.all(
      clients.map(async (c) => {
        if (isAborted()) return;
        const reply = await c.request('init', { client: c.name, run: runId, endpoints: environments[c.index].CCM_ENDPOINTS.split(',') }, INIT_TIMEOUT_MS);
        if (isAborted()) return;
        if (reply === null || !reply.ok) {
          fatal ??= {
            kind: 'no-init',
            process: c.name,
            message: reply === null ? `${c.name} did not answer init within ${INIT_TIMEOUT_MS / 1000} s` : `${c.name} answered init with ok:false (${reply.error ?? ''} ${reply.message ?? ''})`,
            stderr: c.stderrTail(),
          };
        }
      }),
    );
    if (!isAborted()) {
      const schedule = workload.schedule(file, options);
      mainStartMs = recorder.nowMs();
      say(`${stamp(0)}  main phase: ${formatDuration(options.durationMs)}, seed ${options.seed}${schedule.length ? `, cluster faults: ${schedule.length}` : ''}`);
      const faults = nemesis.run(schedule, () => recorder.nowMs() - mainStartMs, () => !ctx.isRunning());
      try {
        await workload.run(ctx);
      } finally {
        isMainOver = true;
        await faults.catch((err: Error) => say(`nemesis: ${err.message}`));
        for (const c of clients) if (c.isPaused) c.resume();
        const healed = await healCluster(paths).catch((err: Error) => {
          say(`heal failed: ${err.message}`);
          return null;
        });
        nemesis.healed();
        if (healed && healed.restarted.length + healed.resumed.length > 0) say(`${stamp(recorder.nowMs() - mainStartMs)}  healed: ${[...healed.resumed, ...healed.restarted].join(', ')}`);
      }
      if (!isAborted()) await workload.finish(ctx);
    }
  } finally {
    isMainOver = true;
    workload.close?.();
    await Promise.all(clients.map((c) => c.stop()));
    clearChaosRunState(paths);
  }
  const faultList = recorder.faults.map((f) => ({ description: f.description, startMs: f.startMs - (Number.isFinite(mainStartMs) ? mainStartMs : 0), endMs: Number.isFinite(f.endMs) ? f.endMs - mainStartMs : null }));
  const problem = fatal as ProgramProblem | null;
  const result = (verdict: 'pass' | 'fail', reasons: string[], figures: Figure[]): RunResult => ({
    label: options.label,
    command,
    verdict,
    reasons,
    ...(problem ? { problem } : {}),
    figures,
    faults: faultList,
    durationMs: options.durationMs,
  });
  appendClusterEvent(paths, 'cli', 'exercise-check-finished', `exercise check ${exercise}: ${problem ? 'fail' : 'checked'}`);
  if (problem) return result('fail', [problem.message], []);
  if (options.signal?.aborted) return result('fail', ['interrupted'], []);
  const judged = workload.judge(ctx);
  return result(judged.reasons.length === 0 ? 'pass' : 'fail', judged.reasons, judged.figures);
}

/** The store's revision, read through `key` (a missing key answers not_found with the revision). */
export async function storeRevision(client: CcmClient, key: string): Promise<number> {
  try {
    return (await client.get(key)).revision;
  } catch (err) {
    const revision = (err as CcmError).details as { revision?: unknown } | undefined;
    if (err instanceof CcmError && err.code === 'not_found' && typeof revision?.revision === 'number') return revision.revision;
    throw err;
  }
}

async function waitForWrites(client: CcmClient, key: string, timeoutMs: number): Promise<void> {
  try {
    await retry(() => client.put(key, 'ready', { timeoutMs: 2000 }), { policy: fixedBackoff(200), deadlineMs: Date.now() + timeoutMs });
  } catch (err) {
    throw new CcmError('unavailable', `the cluster does not take writes (no leader?) after ${formatDuration(timeoutMs)}: ${(err as Error).message}`);
  }
}

/**
 * Pauses (SIGSTOP) a client right after the harness sent it a request, at the planned moments: the client is frozen
 * mid-operation, as a holder in a long GC pause or a stopped VM is, while its lease runs out.
 */
export class ClientPauser {
  private next = 0;
  readonly pauses: { client: string; startMs: number; endMs: number }[] = [];

  constructor(
    /** When (ms into the main phase) a pause may start: the first eligible request after each. */
    private readonly atMs: readonly number[],
    private readonly pauseMs: number,
  ) {}

  /** Whether a pause is due now. */
  isDue(elapsedMs: number): boolean {
    return this.next < this.atMs.length && elapsedMs >= this.atMs[this.next];
  }

  /** Pauses `client` for the planned time (call right after sending it the request); resolves at once. */
  pause(client: ClientProcess, ctx: RecipeContext): void {
    this.next++;
    const startMs = ctx.elapsedMs();
    client.pause();
    ctx.say(`${stamp(startMs)}  + pause client ${client.name} (SIGSTOP) for ${formatDuration(this.pauseMs)}`);
    const record = { client: client.name, startMs, endMs: startMs + this.pauseMs };
    this.pauses.push(record);
    const handle = ctx.recorder.faultStarted('pause', `pause client ${client.name} (SIGSTOP)`, ctx.recorder.nowMs());
    setTimeout(() => {
      client.resume();
      ctx.recorder.faultEnded(handle);
      record.endMs = ctx.elapsedMs();
      ctx.say(`${stamp(ctx.elapsedMs())}  - pause client ${client.name}: over`);
    }, this.pauseMs);
  }
}
