/**
 * `npm run bench -- core [--seconds 10] [--warmup 1] [--runs 5]`: the consistent core against etcd 3.4's figures
 * measured the same way on this kind of machine (../shared/anchors/etcd.md): 3 voters on loopback, durable
 * (synced) writes, 256-byte values, one Node.js load driver process using the ccm client.
 */
import { CcmError } from '../src/client/api-errors.js';
import { nodeAction } from '../src/cluster/launcher.js';
import { compareRow, fmt, median, numberOption, out, runLoad, sleep, startCluster, type LoadResult } from './bench-support.js';

const VALUE = 'v'.repeat(256);
const ETCD = { seq: 738, seqP50: 1.19, seqP99: 4.72, put16: 2262, put64: 3182, get64: 4374, failoverMs: 1252 };

export async function run(args: string[]): Promise<void> {
  const measureMs = numberOption(args, '--seconds', 10) * 1000;
  const warmupMs = numberOption(args, '--warmup', 1) * 1000;
  const runs = numberOption(args, '--runs', 5);
  const cluster = await startCluster(3);
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
