/**
 * `npm run bench -- core --encryption compare [--seconds 5] [--warmup 1] [--rounds 2]`: what sealing peer traffic
 * (AES-256-GCM, the default) costs, as same-run ratios of two clusters, and bounded from first principles.
 */
import type { NodeMetricsJson } from '../src/api/api-types.js';
import { requestJson } from '../src/client/http-json.js';
import { Keyring } from '../src/net/keyring.js';
import { sealedCodec } from '../src/net/sealed-frame.js';
import { fmt, median, numberOption, out, runLoad, startCluster, type BenchCluster, type LoadResult } from './bench-support.js';

const VALUE = 'v'.repeat(256);

/**
 * The cost of sealing peer traffic: two 3-voter clusters, one with peer encryption (the default) and one without,
 * measured in the same run with their phases interleaved (on, off, on, off), so machine load falls on both.
 */
export async function compareEncryption(args: string[]): Promise<void> {
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
