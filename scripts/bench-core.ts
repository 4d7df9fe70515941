/**
 * `npm run bench -- core [--seconds 10] [--warmup 1] [--runs 5] [--encryption on|off|compare]`: the consistent core
 * against etcd 3.4's figures measured the same way on this kind of machine (../shared/anchors/etcd.md): 3 voters on
 * loopback, durable (synced) writes, 256-byte values, one Node.js load driver process using the ccm client.
 * Peers seal every frame (AES-256-GCM) as in production; `--encryption off` runs the same without (for comparison
 * only), and `--encryption compare` runs both clusters in one run, phases interleaved (on, off, on, off), and
 * prints the cost of encryption as same-run ratios.
 */
import { CcmError } from '../src/client/api-errors.js';
import { nodeAction } from '../src/cluster/launcher.js';
import { compareRow, fmt, median, numberOption, out, runLoad, sleep, startCluster, type BenchCluster, type LoadResult } from './bench-support.js';
import type { NodeMetricsJson } from '../src/client/api-types.js';
import { requestJson } from '../src/client/http-json.js';
import { Keyring } from '../src/net/keyring.js';
import { sealedCodec } from '../src/net/sealed-frame.js';

const VALUE = 'v'.repeat(256);
const ETCD = { seq: 738, seqP50: 1.19, seqP99: 4.72, put16: 2262, put64: 3182, get64: 4374, failoverMs: 1252 };

export async function run(args: string[]): Promise<void> {
  const encryption = stringOption(args, '--encryption', 'on');
  if (!['on', 'off', 'compare'].includes(encryption)) throw new Error('--encryption takes on, off or compare');
  if (encryption === 'compare') return compareEncryption(args);
  const measureMs = numberOption(args, '--seconds', 10) * 1000;
  const warmupMs = numberOption(args, '--warmup', 1) * 1000;
  const runs = numberOption(args, '--runs', 5);
  const cluster = await startCluster(3, 3, { peerEncryption: encryption === 'on' });
  if (encryption === 'off') out('(peer encryption OFF: a comparison setting, never the default)');
  try {
    const client = cluster.client();
    await client.put('/bench/warm', VALUE);
    const phase = async (name: string, concurrency: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> => {
      const r = await runLoad({ concurrency, warmupMs, measureMs, pids: cluster.pids(), op });
      out(
        `  ${name.padEnd(30)} ${fmt(r.opsPerSecond).padStart(6)} ops/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  errors ${r.errors}  driver CPU ${fmt(r.driverCpu * 100)}%  cluster CPU ${fmt(r.clusterCpu * 100)}%`,
      );
      return r;
    };
    out(`3 voters on loopback, 256-byte values, ${measureMs / 1000} s measured after ${warmupMs / 1000} s warm-up, one driver process`);
    const seq = await phase('sequential put (1 client)', 1, (i) => client.put(`/bench/seq/${i % 1000}`, VALUE));
    const p16 = await phase('put, 16 in flight', 16, (i) => client.put(`/bench/p16/${i % 1000}`, VALUE));
    const p64 = await phase('put, 64 in flight', 64, (i) => client.put(`/bench/p64/${i % 1000}`, VALUE));
    const g64 = await phase('linearizable get, 64 in flight', 64, (i) => client.get(`/bench/p64/${i % 1000}`));

    out(`\nleader failover: SIGKILL of the leader -> next successful put (${runs} runs)`);
    const failovers: number[] = [];
    for (let r = 0; r < runs; r++) {
      const c = cluster.client(10_000);
      await c.put('/bench/fo', 'x');
      const leader = c.knownLeader();
      if (!leader) throw new Error('no leader known');
      const t0 = performance.now();
      await nodeAction(cluster.paths, leader, 'kill');
      for (;;) {
        try {
          await c.put('/bench/fo', 'y', { timeoutMs: 2000 });
          break;
        } catch (err) {
          if (!(err instanceof CcmError)) throw err;
        }
      }
      const ms = performance.now() - t0;
      failovers.push(ms);
      out(`  run ${r + 1}: ${fmt(ms)} ms (old leader ${leader}, new ${c.knownLeader()})`);
      await nodeAction(cluster.paths, leader, 'start');
      await sleep(1500);
    }

    out('\nccm vs etcd 3.4 (3 members, same machine kind)');
    out(compareRow('sequential put, ops/s', seq.opsPerSecond, ETCD.seq, 'ops/s', true));
    out(compareRow('sequential put p50', seq.p50Ms, ETCD.seqP50, 'ms', false, 2));
    out(compareRow('sequential put p99', seq.p99Ms, ETCD.seqP99, 'ms', false, 2));
    out(compareRow('put, 16 in flight', p16.opsPerSecond, ETCD.put16, 'ops/s', true));
    out(compareRow('put, 64 in flight', p64.opsPerSecond, ETCD.put64, 'ops/s', true));
    out(compareRow('linearizable get, 64 in flight', g64.opsPerSecond, ETCD.get64, 'ops/s', true));
    out(compareRow('leader failover (median)', median(failovers), ETCD.failoverMs, 'ms', false));
  } finally {
    await cluster.stop();
  }
}

/**
 * The cost of sealing peer traffic: two 3-voter clusters, one with peer encryption (the default) and one without,
 * measured in the same run with their phases interleaved (on, off, on, off), so machine load falls on both.
 */
async function compareEncryption(args: string[]): Promise<void> {
  const measureMs = numberOption(args, '--seconds', 5) * 1000;
  const warmupMs = numberOption(args, '--warmup', 1) * 1000;
  const rounds = numberOption(args, '--rounds', 2);
  const sealed = await startCluster(3, 3, { name: 'sealed' });
  const plain = await startCluster(3, 3, { peerEncryption: false, name: 'plain' });
  try {
    const clients = { on: sealed.client(), off: plain.client() };
    await clients.on.put('/bench/warm', VALUE);
    await clients.off.put('/bench/warm', VALUE);
    const phases: { name: string; concurrency: number; op: (c: typeof clients.on, i: number) => Promise<unknown> }[] = [
      { name: 'sequential put (1 client)', concurrency: 1, op: (c, i) => c.put(`/bench/seq/${i % 1000}`, VALUE) },
      { name: 'put, 16 in flight', concurrency: 16, op: (c, i) => c.put(`/bench/p16/${i % 1000}`, VALUE) },
      { name: 'put, 64 in flight', concurrency: 64, op: (c, i) => c.put(`/bench/p64/${i % 1000}`, VALUE) },
      { name: 'linearizable get, 64 in flight', concurrency: 64, op: (c, i) => c.get(`/bench/p64/${i % 1000}`) },
    ];
    out(`peer encryption on vs off: 3 voters each, 256-byte values, ${measureMs / 1000} s per phase after ${warmupMs / 1000} s warm-up, ${rounds} interleaved rounds`);
    const results: Record<string, { on: LoadResult[]; off: LoadResult[] }> = {};
    const messagesPerOp: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const phase of phases) {
        for (const mode of ['on', 'off'] as const) {
          const cluster = mode === 'on' ? sealed : plain;
          const client = clients[mode];
          const before = mode === 'on' ? await peerMessagesSent(sealed) : 0;
          const r = await runLoad({ concurrency: phase.concurrency, warmupMs, measureMs, pids: cluster.pids(), op: (i) => phase.op(client, i) });
          (results[phase.name] ??= { on: [], off: [] })[mode].push(r);
          if (mode === 'on') (messagesPerOp[phase.name] ??= []).push(((await peerMessagesSent(sealed)) - before) / Math.max(1, r.ops));
          out(`  round ${round + 1}  ${phase.name.padEnd(30)} encryption ${mode.padEnd(3)} ${fmt(r.opsPerSecond).padStart(6)} ops/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  cluster CPU ${fmt(r.clusterCpu * 100)}%  errors ${r.errors}`);
        }
      }
    }
    // The same cost from first principles, independent of machine load: CPU per seal and open, times the peer
    // messages each operation causes (an upper bound: messages written in one turn share one sealed record).
    const cost = sealCostMicros();
    out(`\nsealing a 300-byte record: ${fmt(cost.sealUs, 1)} µs CPU, opening it: ${fmt(cost.openUs, 1)} µs CPU (this process, ${cost.count} of each)`);
    out('\ncost of peer encryption (median of the rounds; throughput off/on - 1, CPU per op on/off - 1; bound: messages per op × seal+open)');
    for (const phase of phases) {
      const { on, off } = results[phase.name];
      const onOps = median(on.map((r) => r.opsPerSecond));
      const offOps = median(off.map((r) => r.opsPerSecond));
      const cpuPerOp = (rs: LoadResult[]): number => median(rs.map((r) => r.clusterCpu / Math.max(1, r.opsPerSecond)));
      const throughputCost = (offOps / onOps - 1) * 100;
      const cpuCost = (cpuPerOp(on) / cpuPerOp(off) - 1) * 100;
      const perOp = median(messagesPerOp[phase.name] ?? []);
      const boundUs = perOp * (cost.sealUs + cost.openUs);
      const offCpuUsPerOp = median(off.map((r) => (r.clusterCpu * 1e6) / Math.max(1, r.opsPerSecond)));
      out(
        `  ${phase.name.padEnd(32)} on ${fmt(onOps).padStart(6)} ops/s  off ${fmt(offOps).padStart(6)} ops/s  throughput ${fmt(throughputCost, 1).padStart(5)}%  cluster CPU per op ${fmt(cpuCost, 1).padStart(5)}%` +
          `  | ${fmt(perOp, 1)} peer messages/op: at most ${fmt(boundUs, 1)} µs of ${fmt(offCpuUsPerOp)} µs CPU per op (${fmt((boundUs / offCpuUsPerOp) * 100, 1)}%)`,
      );
    }
  } finally {
    await sealed.stop();
    await plain.stop();
  }
}

function stringOption(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

/** Peer messages the cluster's nodes have sent, summed (ccm_peer_messages_sent_total). */
async function peerMessagesSent(cluster: BenchCluster): Promise<number> {
  const file = cluster.file();
  let total = 0;
  for (const n of file.nodes) {
    const m = await requestJson<NodeMetricsJson>({ host: file.host, port: n.ports.http }, 'GET', '/v1/metrics', undefined, { timeoutMs: 5000 }).catch(() => null);
    const family = m?.families.find((f) => f.name === 'ccm_peer_messages_sent_total');
    total += family?.samples[0]?.value ?? 0;
  }
  return total;
}

/** CPU microseconds to seal and to open one 300-byte record (the size of a put's append), in this process. */
function sealCostMicros(): { sealUs: number; openUs: number; count: number } {
  const codec = sealedCodec(Keyring.fresh(), 'bench');
  const dialer = codec.dialer();
  const acceptor = codec.acceptor();
  const greeting = acceptor.greeting()!;
  dialer.onGreeting(greeting.subarray(4));
  const payload = Buffer.alloc(300, 7);
  const count = 20_000;
  const records: Buffer[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) records.push(dialer.seal([payload]).subarray(4));
  const c1 = process.cpuUsage(c0);
  const c2 = process.cpuUsage();
  for (const r of records) acceptor.open(r);
  const c3 = process.cpuUsage(c2);
  return { sealUs: (c1.user + c1.system) / count, openUs: (c3.user + c3.system) / count, count };
}
