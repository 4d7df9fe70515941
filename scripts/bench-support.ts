/** What the core and services benchmarks share: a throwaway cluster, a client, load loops, latency and CPU figures. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CcmClient } from '../src/client/ccm-client.js';
import { clusterPaths, type ClusterPaths } from '../src/cluster/cluster-dir.js';
import { readClusterFile, type ClusterFile, type ClusterSettings } from '../src/cluster/cluster-file.js';
import { downCluster, upCluster } from '../src/cluster/launcher.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** utime + stime of a process in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface BenchCluster {
  paths: ClusterPaths;
  file: () => ClusterFile;
  client: (timeoutMs?: number) => CcmClient;
  pids: () => number[];
  stop: () => Promise<void>;
}

/** A fresh cluster in a temp dir, removed (and every process stopped) by stop(). `peerEncryption: false` only for comparisons. */
export async function startCluster(nodes: number, core = Math.min(3, nodes), opts: { peerEncryption?: boolean; name?: string; settings?: Partial<ClusterSettings> } = {}): Promise<BenchCluster> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-bench-'));
  const paths = clusterPaths(home, opts.name ?? 'bench');
  await upCluster(paths, { nodes, core, heal: false, settings: opts.settings ?? {}, ...(opts.peerEncryption === false ? { security: { peerEncryption: false } } : {}) });
  const file = (): ClusterFile => readClusterFile(paths);
  const stop = async (): Promise<void> => {
    await downCluster(paths, { purge: true }).catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  // However the bench ends (an exception thrown where no finally runs), no node outlives it.
  process.once('exit', () => {
    if (!fs.existsSync(home)) return;
    try {
      for (const n of readClusterFile(paths).nodes) if (n.pid !== null) process.kill(n.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
  return {
    paths,
    file,
    client: (timeoutMs = 5000) => {
      const f = file();
      return new CcmClient(f.nodes.map((n) => ({ id: n.id, host: f.host, port: n.ports.http })), { timeoutMs });
    },
    pids: () => file().nodes.map((n) => n.pid).filter((p): p is number => p !== null),
    stop,
  };
}

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** This driver process's CPU over the measured phase, as a fraction of one core. */
  driverCpu: number;
  /** The cluster's node processes' CPU over the phase, as a fraction of one core (summed). */
  clusterCpu: number;
}

/**
 * Runs `op` from `concurrency` loops for warm-up + measured seconds; only the measured part counts.
 * One Node.js process (this one) drives all of it, as the etcd figures were measured.
 */
export async function runLoad(opts: { concurrency: number; warmupMs: number; measureMs: number; pids: number[]; op: (i: number) => Promise<unknown> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  let isMeasuring = false;
  let isStopping = false;
  const loop = async (): Promise<void> => {
    while (!isStopping) {
      const i = counter++;
      const t = performance.now();
      try {
        await opts.op(i);
        if (isMeasuring) latencies.push(performance.now() - t);
      } catch {
        if (isMeasuring) errors++;
      }
    }
  };
  const loops = Array.from({ length: opts.concurrency }, loop);
  await sleep(opts.warmupMs);
  const cpu0 = process.cpuUsage();
  const nodeCpu0 = opts.pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const t0 = performance.now();
  isMeasuring = true;
  await sleep(opts.measureMs);
  isMeasuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nodeCpu = opts.pids.reduce((a, p) => a + cpuSeconds(p), 0) - nodeCpu0;
  isStopping = true;
  await Promise.all(loops);
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    errors,
    seconds,
    opsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    driverCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    clusterCpu: nodeCpu / seconds,
  };
}

/** Parses `--seconds N --warmup N --runs N` style options. */
export function stringOption(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

export function numberOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}
