/**
 * `npm run bench -- gossip [options]`: the gossip layer on real node processes (never asserted; printed).
 *   detection  SIGKILL one node of a 7-node cluster; time until every other node has logged it dead (median of --runs)
 *   loss       5 % loss on every link for --loss-duration; false deaths (and suspicions) of live nodes
 *   scale      `up --nodes 50`: time until every node sees 50 alive; then the idle cluster's CPU over --idle
 * Options: --only detection|loss|scale (repeatable), --runs 5, --loss-duration 60s, --nodes 50, --idle 10s, --keep, --diagnose.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GossipStatsView, MembersView } from '../src/api/api-types.js';
import { requestJson } from '../src/client/http-json.js';
import { addFault, healAll } from '../src/chaos/chaos-control.js';
import { clusterPaths, nodeLogPath, type ClusterPaths } from '../src/cluster/cluster-dir.js';
import { readClusterFile, type ClusterFile } from '../src/cluster/cluster-file.js';
import { downCluster, startNodeProcess, upCluster } from '../src/cluster/launcher.js';
import { processState } from '../src/cluster/process-table.js';
import { parseDuration } from '../src/time/duration.js';

interface Options {
  only: Set<string>;
  runs: number;
  lossDurationMs: number;
  nodes: number;
  idleMs: number;
  keep: boolean;
  /** Print who lags, 3 s after up, when the big cluster has not converged yet. */
  diagnose: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { only: new Set(), runs: 5, lossDurationMs: 60_000, nodes: 50, idleMs: 10_000, keep: false, diagnose: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only.add(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--loss-duration') o.lossDurationMs = parseDuration(next(), '--loss-duration');
    else if (a === '--nodes') o.nodes = Number(next());
    else if (a === '--idle') o.idleMs = parseDuration(next(), '--idle');
    else if (a === '--keep') o.keep = true;
    else if (a === '--diagnose') o.diagnose = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.only.size === 0) for (const s of ['detection', 'loss', 'scale']) o.only.add(s);
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface LoggedEvent {
  ts: number;
  source: string;
  type: string;
  member?: string;
}

/** Reads new event lines from every node.log (keeping an offset per file). */
class LogTail {
  private readonly offsets = new Map<string, number>();
  constructor(private readonly paths: ClusterPaths) {}
  read(ids: string[]): LoggedEvent[] {
    const events: LoggedEvent[] = [];
    for (const id of ids) {
      const file = nodeLogPath(this.paths, id);
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        continue;
      }
      const from = this.offsets.get(id) ?? 0;
      if (size <= from) continue;
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(size - from);
      fs.readSync(fd, buf, 0, buf.length, from);
      fs.closeSync(fd);
      const text = buf.toString('utf8');
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline < 0) continue;
      this.offsets.set(id, from + Buffer.byteLength(text.slice(0, lastNewline + 1)));
      for (const line of text.slice(0, lastNewline).split('\n')) {
        if (!line.includes('"event":true')) continue;
        try {
          events.push(JSON.parse(line) as LoggedEvent);
        } catch {
          // a partial line from a crash
        }
      }
    }
    return events;
  }
  /** Skips everything logged so far. */
  skip(ids: string[]): void {
    this.read(ids);
  }
}

function endpoint(file: ClusterFile, id: string) {
  return { host: file.host, port: file.nodes.find((n) => n.id === id)!.ports.http };
}

async function aliveCounts(file: ClusterFile, ids: string[]): Promise<number[]> {
  return Promise.all(
    ids.map((id) =>
      requestJson<GossipStatsView>(endpoint(file, id), 'GET', '/v1/gossip', undefined, { timeoutMs: 2000 }).then(
        (s) => s.summary.alive,
        () => -1,
      ),
    ),
  );
}

async function waitAllAlive(file: ClusterFile, ids: string[], n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await aliveCounts(file, ids)).every((c) => c === n)) return true;
    await sleep(100);
  }
  return false;
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function withCluster<T>(name: string, nodes: number, opts: Options, fn: (paths: ClusterPaths, file: ClusterFile, upMs: number) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-bench-gossip-'));
  const paths = clusterPaths(home, name);
  const t0 = performance.now();
  try {
    await upCluster(paths, { nodes, heal: false });
    const upMs = performance.now() - t0;
    return await fn(paths, readClusterFile(paths), upMs);
  } finally {
    if (!opts.keep) {
      await downCluster(paths, { purge: true }).catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    } else {
      out(`  (kept: CCM_HOME=${home} ccm down --name ${name})`);
    }
  }
}

async function benchDetection(opts: Options): Promise<void> {
  out(`\n-- failure detection: 7 nodes, probe every 200 ms, SIGKILL one node, time until every other node has it dead (${opts.runs} runs)`);
  await withCluster('detect', 7, opts, async (paths, file) => {
    const ids = file.nodes.map((n) => n.id);
    if (!(await waitAllAlive(file, ids, 7, 30_000))) throw new Error('the 7-node cluster did not converge');
    const tail = new LogTail(paths);
    const times: number[] = [];
    const firstSuspect: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      const victim = ids[1 + (run % (ids.length - 1))];
      const current = readClusterFile(paths);
      const pid = current.nodes.find((n) => n.id === victim)!.pid!;
      tail.skip(ids);
      const others = ids.filter((id) => id !== victim);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const deadAt = new Map<string, number>();
      let suspectAt = Infinity;
      const deadline = Date.now() + 30_000;
      while (deadAt.size < others.length && Date.now() < deadline) {
        for (const e of tail.read(others)) {
          if (e.member !== victim) continue;
          if (e.type === 'member-suspect') suspectAt = Math.min(suspectAt, e.ts);
          if (e.type === 'member-dead' && !deadAt.has(e.source)) deadAt.set(e.source, e.ts);
        }
        await sleep(50);
      }
      if (deadAt.size < others.length) {
        out(`  run ${run + 1}: ${victim} not dead everywhere within 30 s (${deadAt.size}/${others.length})`);
        continue;
      }
      const everywhere = Math.max(...deadAt.values()) - killedAt;
      const firstDead = Math.min(...deadAt.values()) - killedAt;
      times.push(everywhere);
      firstSuspect.push(suspectAt - killedAt);
      out(`  run ${run + 1}: killed ${victim}; first suspicion after ${suspectAt - killedAt} ms, first death ${firstDead} ms, dead at all ${others.length} others after ${everywhere} ms`);
      await startNodeProcess(paths, readClusterFile(paths), victim);
      if (!(await waitAllAlive(readClusterFile(paths), ids, 7, 30_000))) out(`  run ${run + 1}: ${victim} did not come back alive everywhere`);
    }
    out(`  => dead everywhere: median ${median(times)} ms (min ${Math.min(...times)}, max ${Math.max(...times)}); first suspicion median ${median(firstSuspect)} ms; target < 3000 ms`);
  });
}

async function benchLoss(opts: Options): Promise<void> {
  out(`\n-- false positives: 7 nodes, 5 % of messages lost on every link, each direction, UDP and TCP, for ${Math.round(opts.lossDurationMs / 1000)} s`);
  await withCluster('loss', 7, opts, async (paths, file) => {
    const ids = file.nodes.map((n) => n.id);
    if (!(await waitAllAlive(file, ids, 7, 30_000))) throw new Error('the 7-node cluster did not converge');
    const tail = new LogTail(paths);
    tail.skip(ids);
    const before = await Promise.all(ids.map((id) => requestJson<GossipStatsView>(endpoint(file, id), 'GET', '/v1/gossip')));
    await addFault(paths, { kind: 'loss', a: '*', b: '*', rate: 0.05 });
    const t0 = Date.now();
    const counts = { suspect: 0, dead: 0, refuted: 0, alive: 0 };
    const deaths: string[] = [];
    while (Date.now() - t0 < opts.lossDurationMs) {
      await sleep(Math.min(1000, opts.lossDurationMs - (Date.now() - t0)));
      for (const e of tail.read(ids)) {
        if (e.type === 'member-suspect') counts.suspect++;
        if (e.type === 'member-refuted') counts.refuted++;
        if (e.type === 'member-alive') counts.alive++;
        if (e.type === 'member-dead') {
          counts.dead++;
          deaths.push(`${e.source} declared ${e.member} dead at +${Math.round((e.ts - t0) / 1000)} s`);
        }
      }
    }
    await healAll(paths);
    const after = await Promise.all(ids.map((id) => requestJson<GossipStatsView>(endpoint(file, id), 'GET', '/v1/gossip')));
    const sum = (xs: GossipStatsView[], k: string) => xs.reduce((s, x) => s + (x.swim[k] ?? 0), 0);
    const probes = sum(after, 'probes') - sum(before, 'probes');
    const failures = sum(after, 'probeFailures') - sum(before, 'probeFailures');
    const stillAllProcesses = readClusterFile(paths).nodes.every((n) => processState(n.pid, n.id) === 'running');
    out(`  probes ${probes}, failed probes ${failures}; suspicion events (all views) ${counts.suspect}, refutations ${counts.refuted}`);
    out(`  => false deaths (a live node declared dead in some view): ${counts.dead} (every process ran throughout: ${stillAllProcesses}); target 0`);
    for (const d of deaths.slice(0, 10)) out(`     ${d}`);
  });
}

/** Which nodes do not see n alive yet, and what a few of them are missing. */
async function describeLaggards(file: ClusterFile, ids: string[], n: number, counts: number[]): Promise<void> {
  const behind = ids.filter((_, i) => counts[i] !== n);
  out(`  ${behind.length} nodes see fewer than ${n} alive: ${behind.map((id) => `${id}:${counts[ids.indexOf(id)]}`).join(' ')}`);
  for (const id of behind.slice(0, 3)) {
    const v = await requestJson<MembersView>(endpoint(file, id), 'GET', '/v1/members', undefined, { timeoutMs: 2000 }).catch(() => undefined);
    if (!v) continue;
    const known = new Set(v.members.map((m) => m.id));
    out(`    ${id}: missing ${ids.filter((x) => !known.has(x)).join(',') || '-'}; not alive ${v.members.filter((m) => m.state !== 'alive').map((m) => `${m.id}=${m.state}`).join(',') || '-'}`);
  }
}

async function benchScale(opts: Options): Promise<void> {
  const n = opts.nodes;
  out(`\n-- scale: up --nodes ${n}; time until every node sees ${n} alive; then idle CPU over ${Math.round(opts.idleMs / 1000)} s`);
  const t0 = performance.now();
  await withCluster('scale', n, opts, async (_paths, file, upMs) => {
    const ids = file.nodes.map((x) => x.id);
    const tReady = performance.now();
    let converged = false;
    let isReported = !opts.diagnose;
    while (performance.now() - tReady < 120_000) {
      const counts = await aliveCounts(file, ids);
      if (counts.every((c) => c === n)) {
        converged = true;
        break;
      }
      if (!isReported && performance.now() - tReady > 3000) {
        isReported = true;
        await describeLaggards(file, ids, n, counts);
      }
      await sleep(100);
    }
    const tConverged = performance.now();
    out(`  up (every process answering) after ${(upMs / 1000).toFixed(1)} s`);
    out(
      converged
        ? `  => every node sees ${n} alive ${((tConverged - t0) / 1000).toFixed(1)} s after up started, ${((tConverged - tReady) / 1000).toFixed(1)} s after up returned; target < 15 s`
        : `  => not converged within 120 s after up returned`,
    );
    if (!converged) await describeLaggards(file, ids, n, await aliveCounts(file, ids));
    await sleep(5000);
    const hz = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
    const pids = file.nodes.map((x) => x.pid!).filter((p) => p > 0);
    const start = pids.map(cpuTicks);
    const s0 = performance.now();
    await sleep(opts.idleMs);
    const seconds = (performance.now() - s0) / 1000;
    const deltas = pids.map((p, i) => cpuTicks(p) - start[i]);
    const total = deltas.reduce((a, b) => a + b, 0) / hz / seconds;
    const perNode = deltas.map((d) => d / hz / seconds);
    out(
      `  => idle CPU of ${pids.length} node processes: ${(total * 100).toFixed(1)} % of one core in all (per node: median ${(median(perNode) * 100).toFixed(2)} %, max ${(Math.max(...perNode) * 100).toFixed(2)} %); target < 50 %`,
    );
    const stats = await Promise.all(ids.slice(0, 5).map((id) => requestJson<GossipStatsView>(endpoint(file, id), 'GET', '/v1/gossip').catch(() => undefined)));
    const sample = stats.find((s) => s !== undefined);
    if (sample) out(`  (n1..: ${sample.swim.packetsSent} packets sent, ${sample.swim.pushPullsSent} push-pulls, ${sample.pushPullFailures} push-pull failures, ${sample.joinAttempts} join attempts)`);
  });
}

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  out(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  const suites: [string, (o: Options) => Promise<void>][] = [
    ['detection', benchDetection],
    ['loss', benchLoss],
    ['scale', benchScale],
  ];
  for (const [name, fn] of suites) {
    if (!opts.only.has(name)) continue;
    try {
      await fn(opts);
    } catch (err) {
      out(`  ${name} failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}
