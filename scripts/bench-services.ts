/**
 * `npm run bench -- services [--seconds 10] [--warmup 1] [--watch-puts 1000]`: the lease manager's
 * acquire+release cycles per second at 1 and 16 concurrent clients, and watch delivery latency from the start of
 * a put to the event's arrival at a watcher (on the leader and on a follower). The same figures beside a real
 * etcd's, measured in the same run through the same API: `npm run bench -- core --vs etcd`.
 */
import { watch } from '../src/client/ccm-client.js';
import { fmt, numberOption, out, percentile, runLoad, sleep, startCluster, type LoadResult } from './bench-support.js';

export async function run(args: string[]): Promise<void> {
  const measureMs = numberOption(args, '--seconds', 10) * 1000;
  const warmupMs = numberOption(args, '--warmup', 1) * 1000;
  const watchPuts = numberOption(args, '--watch-puts', 1000);
  const cluster = await startCluster(3);
  try {
    const client = cluster.client();
    await client.put('/bench/warm', 'x');
    const cycles = async (workers: number): Promise<LoadResult> => {
      // One resource per worker, as etcd's figure (grant + put-with-lease + revoke per worker).
      const r = await runLoad({
        concurrency: workers,
        warmupMs,
        measureMs,
        pids: cluster.pids(),
        op: async (i) => {
          const resource = `bench-${i % workers}-${Math.floor(i / workers) % 2}`;
          const g = await client.acquire(resource, { holder: `w${i % workers}`, ttlMs: 10_000 });
          await client.release(resource, g.lease, g.secret);
        },
      });
      out(`  acquire+release, ${String(workers).padStart(2)} client(s): ${fmt(r.opsPerSecond)} cycles/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  errors ${r.errors}  driver CPU ${fmt(r.driverCpu * 100)}%  cluster CPU ${fmt(r.clusterCpu * 100)}%`);
      return r;
    };
    out(`lease manager, 3 voters, ${measureMs / 1000} s measured`);
    await cycles(1);
    await cycles(16);

    const leader = client.knownLeader()!;
    const file = cluster.file();
    const follower = file.core.find((id) => id !== leader)!;
    const latency = async (node: string): Promise<{ p50: number; p99: number }> => {
      const ep = file.nodes.filter((n) => n.id === node).map((n) => ({ id: n.id, host: file.host, port: n.ports.http }));
      const started = new Map<number, number>();
      const arrivals: number[] = [];
      const key = `/bench/watch/${node}`;
      let pendingResolve: ((v: number) => void) | null = null;
      const w = watch(ep, key, {
        onEvents: (events) => {
          const at = performance.now();
          for (const e of events) {
            const i = Number(e.kv.value);
            const t = started.get(i);
            if (t !== undefined) arrivals.push(at - t);
            pendingResolve?.(i);
          }
        },
      });
      await sleep(300);
      for (let i = 0; i < watchPuts; i++) {
        const seen = new Promise<number>((r) => (pendingResolve = r));
        started.set(i, performance.now());
        await client.put(key, String(i));
        await Promise.race([seen, sleep(1000)]);
      }
      w.close();
      arrivals.sort((a, b) => a - b);
      out(`  watcher on ${node} (${node === leader ? 'leader' : 'follower'}): ${arrivals.length} events, put start -> event p50 ${fmt(percentile(arrivals, 50), 2)} ms, p99 ${fmt(percentile(arrivals, 99), 2)} ms`);
      return { p50: percentile(arrivals, 50), p99: percentile(arrivals, 99) };
    };
    out(`\nwatch delivery, ${watchPuts} sequential puts`);
    await latency(leader);
    await latency(follower);

  } finally {
    await cluster.stop();
  }
}
