/**
 * `ccm chaos run`: a workload's clients and a seeded nemesis against the real cluster, then a heal, a
 * recovery period and the workload's final phase, then the checkers on the recorded history, and the
 * report (text verdict, history.json, report.html). Ctrl-C (the abort signal) stops the clients and the
 * nemesis and heals every fault before the run returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { combineVerdicts, renderHtmlReport, renderJsonHistory, renderTextVerdict, type CheckResult, type Verdict } from '../check/index.js';
import { CcmError } from '../errors/ccm-error.js';
import { CcmClient } from '../client/ccm-client.js';
import { clusterEndpoints } from '../cluster/cluster-client.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { appendClusterEvent } from '../cluster/cluster-events.js';
import { readClusterTokens } from '../cluster/cluster-secrets.js';
import { byNodeId, readRunningCluster } from '../cluster/launcher.js';
import { SeededRandom } from '../random/random.js';
import { fixedBackoff, retry } from '../time/backoff.js';
import { formatDuration } from '../time/duration.js';
import { HistoryRecorder } from '../workload/history-recorder.js';
import { createWorkload, type WorkloadName } from '../workload/index.js';
import type { Workload, WorkloadContext } from '../workload/workload.js';
import { healCluster } from './chaos-control.js';
import { clearChaosRunState, readChaosRunState, writeChaosRunState } from './chaos-run-state.js';
import { describePlanned, planFaults, type NemesisKind, type ScheduledFault } from './fault-schedule.js';
import { Nemesis } from './nemesis.js';

export interface ChaosRunOptions {
  workload: WorkloadName;
  nemesis: NemesisKind[];
  durationMs: number;
  seed: number;
  /** Mean rest and hold of each nemesis kind's cycle; default 5 s. */
  intervalMs?: number;
  /** After the heal, before the final phase; default 5 s. */
  recoveryMs?: number;
  /** Client processes; default 10. */
  clients?: number;
  /** One operation's deadline; default 2 s. */
  opTimeoutMs?: number;
  /** Time budget of the linearizability search; default 60 s. */
  checkTimeMs?: number;
  /** Directory for history.json, verdict.txt and report.html (created if missing). */
  reportDir?: string;
  /** How often a progress line is printed; default 5 s. */
  progressEveryMs?: number;
  /** Lines for the operator: the schedule, faults as they start and stop, ops/s. */
  onLine?: (line: string) => void;
  /** Aborting it (Ctrl-C) stops the run and heals the cluster. */
  signal?: AbortSignal;
}

/** One checker's result, for --json. */
export interface CheckSummary {
  checker: string;
  verdict: Verdict;
  summary: string;
  counterExample?: string;
}

export interface ChaosRunResult {
  /** 'interrupted' when Ctrl-C stopped the run (the cluster was healed; nothing was checked). */
  verdict: Verdict | 'interrupted';
  workload: string;
  nemesis: string[];
  seed: number;
  checks: CheckSummary[];
  /** The text verdict as printed. */
  verdictText: string;
  stats: Record<string, string | number>;
  /** Faults injected, in words, with their times (ms from the start). */
  faults: { kind: string; description: string; startMs: number; endMs: number | null }[];
  /** Faults of the schedule that could not be injected (no leader to hit, the node was down...), with why. */
  skippedFaults: string[];
  /** Files written with --report. */
  reportFiles: string[];
  healedAtStart: string[];
}

/** Exit codes of `ccm chaos run`: 0 valid; 1 invalid (or an error before the run); 3 unknown (a checker ran out of budget); 130 interrupted. */
export const EXIT_CODES = { valid: 0, invalid: 1, unknown: 3, interrupted: 130 } as const;

export const DEFAULTS = { intervalMs: 5000, recoveryMs: 5000, clients: 10, opTimeoutMs: 2000, checkTimeMs: 60_000, progressEveryMs: 5000 };

/** Waits until a write succeeds (the core has a leader), up to `timeoutMs`. */
async function waitForService(client: CcmClient, key: string, timeoutMs: number): Promise<void> {
  try {
    await retry(() => client.put(key, 'ready', { timeoutMs: 2000 }), { policy: fixedBackoff(200), deadlineMs: Date.now() + timeoutMs });
  } catch (err) {
    throw new CcmError('unavailable', `the cluster does not take writes (no leader?) after ${formatDuration(timeoutMs)}: ${(err as Error).message}`);
  }
}

/** Where the core is, in a few words: `core n1,n2,n3`, or `core etcd e1,e2,e3` (or the external endpoints). */
function coreText(file: ClusterFile): string {
  if (!file.etcd) return `core ${file.core.join(',')}`;
  return `core etcd ${file.etcd.members.length > 0 ? file.etcd.members.map((m) => m.id).join(',') : file.etcd.endpoints.join(',')}`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 100)}%`;
}

export async function runChaos(paths: ClusterPaths, options: ChaosRunOptions): Promise<ChaosRunResult> {
  const say = options.onLine ?? (() => undefined);
  const intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
  const recoveryMs = options.recoveryMs ?? DEFAULTS.recoveryMs;
  const clients = options.clients ?? DEFAULTS.clients;
  const opTimeoutMs = options.opTimeoutMs ?? DEFAULTS.opTimeoutMs;
  const checkTimeMs = options.checkTimeMs ?? DEFAULTS.checkTimeMs;
  const progressEveryMs = options.progressEveryMs ?? DEFAULTS.progressEveryMs;
  const workload = createWorkload(options.workload);

  const file = readRunningCluster(paths);
  const running = readChaosRunState(paths);
  if (running !== null && running.pid !== process.pid) {
    throw new CcmError('failed_precondition', `a chaos run is already in progress on cluster "${paths.name}" (pid ${running.pid}); wait for it or stop it with Ctrl-C`);
  }
  const nodes = file.nodes.map((n) => n.id).sort(byNodeId);
  // On a local etcd backend, kills and pauses hit the etcd members (the nodes hold no consistent state there).
  const etcdMembers = file.etcd?.members.map((m) => m.id) ?? [];
  const schedule: ScheduledFault[] = planFaults({
    nemesis: options.nemesis,
    nodes,
    voters: file.core,
    ...(etcdMembers.length > 0 ? { processTargets: etcdMembers } : {}),
    durationMs: options.durationMs,
    intervalMs,
    seed: options.seed,
  });

  // A known start: no fault left from before, every node up.
  const healedAtStart = await healCluster(paths);
  const leftovers = [...healedAtStart.removed, ...healedAtStart.resumed.map((n) => `${n} resumed`), ...healedAtStart.restarted.map((n) => `${n} restarted`)];
  if (leftovers.length > 0) say(`healed what was left from before: ${leftovers.join('; ')}`);

  const runId = `${options.seed}-${Date.now().toString(36)}`;
  const client = new CcmClient(clusterEndpoints(readRunningCluster(paths)), { timeoutMs: opTimeoutMs });
  await waitForService(client, `/chaos/${runId}/ready`, 20_000);

  const clientToken = readClusterTokens(paths)?.client;
  const recorder = new HistoryRecorder();
  let isStopping = false;
  const isAborted = (): boolean => options.signal?.aborted === true;
  const ctx: WorkloadContext = {
    endpoints: file.nodes
      .map((n) => ({ id: n.id, host: file.host, port: n.ports.http }))
      .sort((a, b) => byNodeId(a.id, b.id)),
    etcdEndpoints: file.nodes
      .filter((n) => n.ports.etcd !== undefined)
      .map((n) => ({ id: n.id, host: file.host, port: n.ports.etcd! }))
      .sort((a, b) => byNodeId(a.id, b.id)),
    ...(clientToken ? { etcdToken: clientToken } : {}),
    client,
    recorder,
    random: new SeededRandom(options.seed ^ 0x5eed),
    runId,
    clients,
    opTimeoutMs,
    isRunning: () => !isStopping && !isAborted() && recorder.nowMs() < options.durationMs,
    elapsedMs: () => recorder.nowMs(),
    durationMs: options.durationMs,
    note: (message) => say(`${(recorder.nowMs() / 1000).toFixed(1).padStart(6)}s  · ${message}`),
  };
  await workload.setup(ctx);

  say(
    `chaos run: workload ${workload.name}, ${clients} clients on ${nodes.length} nodes (${coreText(file)}), ` +
      `nemesis ${options.nemesis.length ? options.nemesis.join(',') : 'none'}, ${formatDuration(options.durationMs)}, seed ${options.seed}`,
  );
  say(`schedule (${schedule.length} faults): ${schedule.map((s) => `${(s.startMs / 1000).toFixed(1)}s ${describePlanned(s.planned)}`).join('; ') || 'none'}`);

  writeChaosRunState(paths, { pid: process.pid, workload: workload.name, nemesis: options.nemesis, seed: options.seed, startedAtMs: Date.now() });
  appendClusterEvent(paths, 'cli', 'chaos-run-started', `chaos run: ${workload.name}, nemesis ${options.nemesis.join(',') || 'none'}, seed ${options.seed}`);
  const nemesis = new Nemesis(paths, recorder, say);
  let lastCount = 0;
  let lastAtMs = 0;
  const progress = setInterval(() => {
    const c = recorder.counts;
    const done = c.ok + c.fail + c.info;
    const now = recorder.nowMs();
    const rate = ((done - lastCount) * 1000) / Math.max(1, now - lastAtMs);
    lastCount = done;
    lastAtMs = now;
    const faults = nemesis.activeFaults();
    say(
      `${(now / 1000).toFixed(1).padStart(6)}s  ${done} ops, ${rate.toFixed(0)} ops/s (ok ${percent(c.ok, done)}, fail ${percent(c.fail, done)}, info ${percent(c.info, done)})` +
        `${faults.length ? `  faults: ${faults.join('; ')}` : ''}`,
    );
  }, progressEveryMs);

  let healResult;
  const mainStartMs = recorder.nowMs();
  const nemesisDone = nemesis.run(schedule, () => recorder.nowMs(), () => !ctx.isRunning());
  try {
    await workload.run(ctx);
  } finally {
    isStopping = true;
    clearInterval(progress);
    // the nemesis finishes the action it is in (it starts no other), so the heal does not race it
    await nemesisDone.catch((err: Error) => say(`nemesis: ${err.message}`));
    // Whatever happened (Ctrl-C, an error), the cluster goes back to no faults.
    healResult = await healCluster(paths).catch((err: Error) => {
      say(`heal failed: ${err.message}`);
      return null;
    });
    nemesis.healed();
    clearChaosRunState(paths);
  }
  const mainMs = recorder.nowMs() - mainStartMs;
  const completed = recorder.counts.ok + recorder.counts.fail + recorder.counts.info;
  const healedText = healResult ? [...healResult.removed, ...healResult.resumed.map((n) => `${n} resumed`), ...healResult.restarted.map((n) => `${n} restarted`)] : [];
  say(`${(recorder.nowMs() / 1000).toFixed(1).padStart(6)}s  healed${healedText.length ? `: ${healedText.join('; ')}` : ' (nothing was active)'}`);

  const faults = recorder.faults.map((f) => ({ kind: f.kind, description: f.description, startMs: f.startMs, endMs: Number.isFinite(f.endMs) ? f.endMs : null }));
  const base = { workload: workload.name, nemesis: options.nemesis, seed: options.seed, faults, skippedFaults: nemesis.skipped, healedAtStart: leftovers };
  const interrupted = (): ChaosRunResult => {
    appendClusterEvent(paths, 'cli', 'chaos-run-interrupted', `chaos run interrupted; every fault healed`);
    return { ...base, verdict: 'interrupted', checks: [], verdictText: 'interrupted: every fault was healed; nothing was checked\n', stats: {}, reportFiles: [] };
  };
  if (isAborted()) return interrupted();

  say(`recovery: ${formatDuration(recoveryMs)} without faults, then the final phase`);
  const recoveryEnd = Date.now() + recoveryMs;
  while (Date.now() < recoveryEnd && !isAborted()) await new Promise((r) => setTimeout(r, Math.min(100, recoveryEnd - Date.now())));
  if (isAborted()) return interrupted();
  await workload.finish(ctx);
  say(`checking ${recorder.events.length} history events...`);
  const checked = checkAndReport(workload, recorder, nemesis, {
    options,
    checkTimeMs,
    stats: {
      workload: workload.name,
      nemesis: options.nemesis.join(',') || 'none',
      seed: options.seed,
      nodes: `${nodes.length} (${coreText(file)})`,
      clients,
      duration: formatDuration(options.durationMs),
      'operations (main phase)': completed,
      'ops/s (main phase)': Math.round((completed * 1000) / Math.max(1, mainMs)),
      ok: recorder.counts.ok,
      fail: recorder.counts.fail,
      'info (indeterminate)': recorder.counts.info,
    },
  });
  appendClusterEvent(paths, 'cli', 'chaos-run-finished', `chaos run ${workload.name}: ${checked.verdict}`, { verdict: checked.verdict });
  return { ...base, ...checked };
}

/** Runs the workload's checkers on the history, and writes the report files if asked. */
function checkAndReport(
  workload: Workload,
  recorder: HistoryRecorder,
  nemesis: Nemesis,
  input: { options: ChaosRunOptions; checkTimeMs: number; stats: Record<string, string | number> },
): Pick<ChaosRunResult, 'verdict' | 'checks' | 'verdictText' | 'stats' | 'reportFiles'> {
  const options = input.options;
  const history = recorder.events;
  const checkStart = performance.now();
  const results: CheckResult[] = workload.check(history, { timeBudgetMs: input.checkTimeMs });
  const checkMs = performance.now() - checkStart;
  const verdict = combineVerdicts(results.map((r) => r.verdict));

  const stats: Record<string, string | number> = {
    ...input.stats,
    'history events': history.length,
    'faults injected': Object.entries(nemesis.injected).map(([k, n]) => `${k} ${n}`).join(', ') || 'none',
    'faults skipped': nemesis.skipped.length,
    'checking took': formatDuration(checkMs),
    ...workload.stats(),
  };
  const statsText = Object.entries(stats)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n');
  const verdictText = `${renderTextVerdict(results)}\n${statsText}\n`;

  const reportFiles: string[] = [];
  if (options.reportDir !== undefined) {
    fs.mkdirSync(options.reportDir, { recursive: true });
    const write = (name: string, text: string): void => {
      const target = path.join(options.reportDir!, name);
      fs.writeFileSync(target, text);
      reportFiles.push(target);
    };
    write('history.json', renderJsonHistory(history, recorder.faults));
    write('verdict.txt', verdictText);
    write(
      'report.html',
      renderHtmlReport({
        title: `ccm chaos run: ${workload.name}, nemesis ${options.nemesis.join(',') || 'none'}, seed ${options.seed}`,
        history,
        faults: recorder.faults,
        results,
        stats,
      }),
    );
  }
  return {
    verdict,
    checks: results.map((r) => ({
      checker: r.checker,
      verdict: r.verdict,
      summary: r.summary,
      ...(r.counterExample && r.verdict !== 'valid' ? { counterExample: r.counterExample.description } : {}),
    })),
    verdictText,
    stats,
    reportFiles,
  };
}
