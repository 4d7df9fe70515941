/**
 * `npm run bench -- scale [--mib 1024] [--value-kib 1024] [--in-flight 16] [--catch-up-timeout 300] [--setting k=v]...
 * [--logs <dir>]`: large state (--logs keeps the nodes' logs there).
 * Writes N MiB (values of 1 MiB, 16 in flight) to 3 voters with one follower stopped, then starts it and times its
 * catch-up (a streamed snapshot: the log is compacted behind it). Reports write throughput, catch-up time and
 * MB/s, each node's peak RSS (VmRSS polled every 100 ms, and VmHWM) and the term changes during the run.
 * Targets (issue 11): catch-up >= 100 MB/s on loopback, RSS <= 256 MB per node, no term change.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { NodeStatus } from '../src/api/api-types.js';
import { requestJson } from '../src/client/http-json.js';
import { nodeAction } from '../src/cluster/launcher.js';
import { parseSettings } from '../src/cluster/cluster-file.js';
import { cpuSeconds, fmt, numberOption, out, sleep, startCluster, type BenchCluster } from './bench-support.js';

const MB = 1e6;
const MiB = 1024 * 1024;

/** Peak memory of each node process, by node id (a restarted node keeps the highest of its processes). */
class RssSampler {
  readonly peakRss = new Map<string, number>();
  readonly peakHwm = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly cluster: BenchCluster) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  reset(): void {
    this.peakRss.clear();
    this.peakHwm.clear();
  }

  private sample(): void {
    for (const n of this.cluster.file().nodes) {
      if (n.pid === null) continue;
      const status = readStatus(n.pid);
      if (!status) continue;
      this.peakRss.set(n.id, Math.max(this.peakRss.get(n.id) ?? 0, status.rss));
      this.peakHwm.set(n.id, Math.max(this.peakHwm.get(n.id) ?? 0, status.hwm));
    }
  }
}

function readStatus(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Every running node's status, polled: the highest term and the number of leader changes seen. */
class TermWatcher {
  firstTerm = 0;
  lastTerm = 0;
  readonly leaders: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly cluster: BenchCluster) {}

  async start(): Promise<void> {
    await this.poll();
    this.firstTerm = this.lastTerm;
    this.timer = setInterval(() => void (this.polling ?? this.poll()), 200);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.poll();
  }

  /** A fresh poll of every node (after the one in progress, if any: its answers may predate the caller's question). */
  async poll(): Promise<void> {
    while (this.polling) await this.polling;
    this.polling = this.pollOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const f = this.cluster.file();
    await Promise.all(
      f.nodes
        .filter((n) => n.pid !== null)
        .map(async (n) => {
          const s = await nodeStatus({ host: f.host, port: n.ports.http }).catch(() => null);
          if (!s?.raft) return;
          this.lastTerm = Math.max(this.lastTerm, s.raft.term);
          const leader = s.raft.leaderId;
          if (leader && this.leaders[this.leaders.length - 1] !== leader) this.leaders.push(leader);
        }),
    );
  }
}

function nodeStatus(endpoint: { host: string; port: number }, timeoutMs = 2000): Promise<NodeStatus> {
  return requestJson<NodeStatus>(endpoint, 'GET', '/v1/status', undefined, { timeoutMs });
}

/** CPU seconds of each running node process, by node id. */
function nodeCpu(cluster: BenchCluster): Map<string, number> {
  return new Map(cluster.file().nodes.filter((n) => n.pid !== null).map((n) => [n.id, cpuSeconds(n.pid!)]));
}

function cpuSince(cluster: BenchCluster, before: Map<string, number>): string {
  return [...nodeCpu(cluster)].map(([id, s]) => `${id} ${fmt(s - (before.get(id) ?? 0), 1)} s`).join(', ');
}

function dirBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return NaN;
  }
}

export async function run(args: string[]): Promise<void> {
  const totalMiB = numberOption(args, '--mib', 1024);
  const valueKiB = numberOption(args, '--value-kib', 1024);
  const inFlight = numberOption(args, '--in-flight', 16);
  const catchUpTimeoutMs = numberOption(args, '--catch-up-timeout', 300) * 1000;
  const valueBytes = valueKiB * 1024;
  const puts = Math.ceil((totalMiB * MiB) / valueBytes);
  out(`3 voters on loopback, one stopped; ${puts} puts of ${valueKiB} KiB values (${fmt((puts * valueBytes) / MiB)} MiB), ${inFlight} in flight`);
  out(`free disk where the cluster lives: ${execFileSync('df', ['-h', '--output=avail', fs.realpathSync('/tmp')], { encoding: 'utf8' }).split('\n')[1]?.trim()}`);

  const settings = parseSettings(args.flatMap((a, i) => (args[i - 1] === '--setting' ? [a] : [])));
  if (Object.keys(settings).length > 0) out(`settings: ${JSON.stringify(settings)}`);
  const cluster = await startCluster(3, 3, { settings });
  const rss = new RssSampler(cluster);
  const terms = new TermWatcher(cluster);
  try {
    const client = cluster.client(30_000);
    await client.put('/scale/warm', 'x');
    // Stop a follower, never the leader: the election that stopping a leader causes is not the writes' doing.
    const f0 = cluster.file();
    const leaderAtStart = (await nodeStatus({ host: f0.host, port: f0.nodes[0].ports.http })).raft?.leaderId ?? client.knownLeader();
    const lagging = [...f0.nodes].reverse().find((n) => n.id !== leaderAtStart)!.id;
    await nodeAction(cluster.paths, lagging, 'stop');
    rss.start();
    await terms.start();

    // Distinct keys: the state (not just the history) is the full size. base64 text needs no JSON escaping.
    const value = randomBytes(Math.ceil((valueBytes * 3) / 4)).toString('base64').slice(0, valueBytes);
    let next = 0;
    let errors = 0;
    const cpu0 = nodeCpu(cluster);
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      for (let i = next++; i < puts; i = next++) {
        for (let attempt = 0; ; attempt++) {
          try {
            await client.put(`/scale/k${String(i).padStart(6, '0')}`, value);
            break;
          } catch (err) {
            errors++;
            if (attempt >= 5) throw err;
            await sleep(200);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const writeSeconds = (performance.now() - t0) / 1000;
    const written = puts * valueBytes;
    out(`\nwrite: ${fmt(written / MB)} MB in ${fmt(writeSeconds, 1)} s = ${fmt(written / MB / writeSeconds, 1)} MB/s (${fmt(puts / writeSeconds)} puts/s, ${errors} retried)`);
    await terms.poll();
    const termAfterWrite = terms.lastTerm;
    const writeRss = new Map(rss.peakRss);
    out(`  peak RSS while writing: ${[...writeRss].map(([id, b]) => `${id} ${fmt(b / MB)} MB`).join(', ')}`);
    out(`  CPU while writing: ${cpuSince(cluster, cpu0)}`);

    const f = cluster.file();
    const leaderId = client.knownLeader();
    const leader = f.nodes.find((n) => n.id === leaderId) ?? f.nodes[0];
    const leaderStatus = await nodeStatus({ host: f.host, port: leader.ports.http });
    const target = leaderStatus.raft?.commit ?? 0;
    out(`  leader ${leader.id}: commit ${target}, first log index ${leaderStatus.raft?.firstIndex}; data dir ${fmt(dirBytes(`${cluster.paths.dir}/nodes/${leader.id}`) / MB)} MB`);

    rss.reset();
    const cpu1 = nodeCpu(cluster);
    const t1 = performance.now();
    await nodeAction(cluster.paths, lagging, 'start');
    const n3 = cluster.file().nodes.find((n) => n.id === lagging)!;
    let caughtUp = false;
    let last: NodeStatus | null = null;
    while (performance.now() - t1 < catchUpTimeoutMs) {
      last = await nodeStatus({ host: f.host, port: n3.ports.http }, 1000).catch(() => last);
      if (last?.raft && last.raft.applied >= target) {
        caughtUp = true;
        break;
      }
      await sleep(100);
    }
    const catchUpSeconds = (performance.now() - t1) / 1000;
    const n3Bytes = dirBytes(`${cluster.paths.dir}/nodes/${lagging}`);
    const cpuCatchUp = cpuSince(cluster, cpu1);
    const snapshotBytes = last?.snapshot?.bytesReceived;
    const viaSnapshot = snapshotBytes !== undefined && snapshotBytes > 0;
    const moved = viaSnapshot ? snapshotBytes : written;
    if (caughtUp) {
      out(`\ncatch-up: ${lagging} applied ${target} ${fmt(catchUpSeconds, 1)} s after its start = ${fmt(moved / MB / catchUpSeconds, 1)} MB/s (${viaSnapshot ? `${fmt(moved / MB)} MB of snapshot received` : 'from the log: no snapshot'}; its data dir ${fmt(n3Bytes / MB)} MB)`);
    } else {
      out(`\ncatch-up: FAILED, ${lagging} at applied ${last?.raft?.applied ?? '?'} of ${target} after ${fmt(catchUpSeconds, 1)} s`);
    }
    out(`  CPU while catching up: ${cpuCatchUp}`);
    await sleep(500);
    rss.stop();
    await terms.stop();
    out(`  peak RSS while catching up: ${[...rss.peakRss].map(([id, b]) => `${id} ${fmt(b / MB)} MB`).join(', ')}`);
    const alive = cluster.file().nodes.filter((n) => n.pid !== null && readStatus(n.pid) !== null).length;

    out('\nfigures (targets: catch-up >= 100 MB/s, RSS <= 256 MB per node, 0 term changes)');
    out(`  write throughput              ${fmt(written / MB / writeSeconds, 1).padStart(8)} MB/s`);
    out(`  catch-up                      ${caughtUp ? `${fmt(catchUpSeconds, 1).padStart(8)} s, ${fmt(moved / MB / catchUpSeconds, 1)} MB/s` : '  failed'}`);
    const peak = new Map<string, number>();
    for (const [id, b] of [...writeRss, ...rss.peakRss]) peak.set(id, Math.max(peak.get(id) ?? 0, b));
    for (const [id, b] of [...peak].sort()) out(`  peak RSS ${id}                   ${fmt(b / MB).padStart(8)} MB (VmHWM of its last process ${fmt((rss.peakHwm.get(id) ?? 0) / MB)} MB)`);
    out(`  term changes                  ${String(terms.lastTerm - terms.firstTerm).padStart(8)} (${termAfterWrite - terms.firstTerm} while writing, ${terms.lastTerm - termAfterWrite} while catching up; term ${terms.firstTerm} -> ${terms.lastTerm}; leaders seen ${terms.leaders.join(' -> ')})`);
    out(`  nodes alive                   ${String(alive).padStart(8)} of 3`);
  } finally {
    rss.stop();
    await terms.stop().catch(() => undefined);
    const logsAt = args.indexOf('--logs');
    if (logsAt >= 0 && args[logsAt + 1]) {
      fs.mkdirSync(args[logsAt + 1], { recursive: true });
      for (const n of cluster.file().nodes) fs.copyFileSync(`${cluster.paths.dir}/nodes/${n.id}/node.log`, `${args[logsAt + 1]}/${n.id}.log`);
    }
    await cluster.stop();
  }
}
