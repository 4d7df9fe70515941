/**
 * `npm run bench -- core [--vs etcd] [--seconds 10] [--warmup 1] [--settle 8] [--rounds 2] [--failovers 3] [--encryption on|off|compare] [--log-store segments|sqlite|both]`:
 * the consistent core, 3 voters on loopback, durable (synced) writes, 256-byte values, one Node.js driver process.
 * Peers seal every frame (AES-256-GCM) as in production; `--encryption off` runs without (for comparison only), and
 * `--encryption compare` measures the cost of sealing (bench-encryption.ts).
 *
 * With `--vs etcd`, a 3-member etcd (Debian's etcd-server) runs on the same machine in the same run, and ONE driver,
 * the `etcd3` npm client, measures both through the same API (etcd's v3 gRPC API, which ccm serves too), phase by
 * phase, interleaved: etcd, ccm, etcd, ccm (--rounds). ccm's own HTTP client is a second ccm row. Every figure is
 * printed for each round, and the ratio of the rounds' means: ccm over etcd, above 1× when ccm is better (more
 * ops/s, less latency). Without etcd installed it says so and measures ccm alone.
 *
 * `--log-store both` runs one ccm cluster per Raft log store (segment files, SQLite), each with its two rows.
 *
 * `--breakdown`: where a sequential write's time goes on ccm (each step's added latency, measured from outside, and
 * the nodes' own sync timings), instead of the phases above.
 */
import { Etcd3, type IOptions } from 'etcd3';
import { CcmClient } from '../src/client/ccm-client.js';
import { requestJson } from '../src/client/http-json.js';
import { DEFAULT_SETTINGS, RAFT_LOG_STORES, type RaftLogStore } from '../src/cluster/cluster-file.js';
import { readClusterTokens } from '../src/cluster/cluster-secrets.js';
import { ETCD_USER } from '../src/cluster/etcd-env.js';
import { nodeAction } from '../src/cluster/launcher.js';
import type { WatchEvent } from '../src/core/kv-types.js';
import { startEtcdCluster, etcdVersion, type EtcdCluster } from './bench-etcd.js';
import { compareEncryption } from './bench-encryption.js';
import { fmt, median, numberOption, out, percentile, runLoad, sleep, startCluster, stringOption, type BenchCluster } from './bench-support.js';

const VALUE = 'v'.repeat(256);

/** One system as the driver sees it. */
interface Target {
  name: string;
  pids(): number[];
  put(key: string, value: string): Promise<unknown>;
  /** Linearizable. */
  get(key: string): Promise<unknown>;
  /** Grant a lease, put a key on it, revoke it: a lock's life. */
  leaseCycle(key: string): Promise<unknown>;
  watch(prefix: string, onPut: (key: string, value: string) => void): Promise<() => Promise<void>>;
  /** SIGKILL of the leader → the next acknowledged put, in ms; the killed member starts again after. */
  failover(): Promise<number>;
  close(): void;
}

/** A figure: one number per round, and which way is better. */
interface Figure {
  label: string;
  unit: string;
  higherIsBetter: boolean;
  digits: number;
  values: Map<string, number[]>;
}

/** How the etcd3 client authenticates to ccm's etcd API: the cluster's client token as the password. */
function ccmEtcdAuth(cluster: BenchCluster): NonNullable<IOptions['auth']> {
  const tokens = readClusterTokens(cluster.paths);
  if (!tokens) throw new Error(`cannot read the bench cluster's tokens (${cluster.paths.dir})`);
  return { username: ETCD_USER, password: tokens.client };
}

function etcd3Target(
  name: string,
  hosts: string[],
  pids: () => number[],
  kill: (member: string) => Promise<void>,
  restart: (member: string) => Promise<void>,
  auth?: IOptions['auth'],
): Target {
  const options: IOptions = { hosts, ...(auth ? { auth } : {}), defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 5000 }) };
  const client = new Etcd3(options);
  return {
    name,
    pids,
    put: (key, value) => client.put(key).value(value).exec(),
    get: (key) => client.get(key).string(),
    async leaseCycle(key) {
      const lease = client.lease(10, { autoKeepAlive: false });
      await lease.grant();
      await lease.put(key).value(VALUE).exec();
      await lease.revoke();
    },
    async watch(prefix, onPut) {
      const watcher = await client.watch().prefix(prefix).create();
      watcher.on('put', (kv) => onPut(kv.key.toString(), kv.value.toString()));
      return () => watcher.cancel();
    },
    async failover() {
      // A fresh client each time: the long-lived one's circuit breakers remember the member killed last time.
      const c = new Etcd3(options);
      try {
        const leader = await untilAnswer(async () => {
          const status = await c.maintenance.status();
          const members = await c.cluster.memberList({});
          const found = members.members.find((m) => m.ID === status.leader)?.name;
          if (!found) throw new Error(`${name}: no leader yet`);
          return found;
        });
        const t0 = performance.now();
        await kill(leader);
        // Each attempt on a client of its own: etcd3's circuit breakers would otherwise close every member for 5 s
        // once three calls failed in a row (as they do while there is no leader), whichever system it drives.
        const at = await untilWrite(async () => {
          const attempt = new Etcd3(options);
          try {
            await attempt.put('/bench/failover').value('x').options({ deadline: Date.now() + 1000 }).exec();
          } finally {
            attempt.close();
          }
        });
        await restart(leader);
        return at - t0;
      } finally {
        c.close();
      }
    },
    close: () => client.close(),
  };
}

function nativeTarget(cluster: BenchCluster, suffix = ''): Target {
  const client = cluster.client();
  return {
    name: `ccm (HTTP client)${suffix}`,
    pids: cluster.pids,
    put: (key, value) => client.put(key, value),
    get: (key) => client.get(key),
    async leaseCycle(key) {
      const lease = await client.grantLease(10_000);
      await client.put(key, VALUE, { lease: lease.id });
      await client.revokeLease(lease.id, { secret: lease.secret });
    },
    async watch(prefix, onPut) {
      const w = client.watch(prefix, {
        prefix: true,
        onEvents: (events: WatchEvent[]) => {
          for (const e of events) if (e.type === 'put') onPut(e.kv.key, e.kv.value);
        },
      });
      return async () => w.close();
    },
    async failover() {
      const c = cluster.client(10_000);
      await untilAnswer(() => c.put('/bench/failover', 'x'));
      const leader = c.knownLeader();
      if (!leader) throw new Error('no leader known');
      const t0 = performance.now();
      await nodeAction(cluster.paths, leader, 'kill');
      const ms = await untilWrite(() => c.put('/bench/failover', 'y', { timeoutMs: 1000 }));
      await nodeAction(cluster.paths, leader, 'start');
      await sleep(1500);
      return ms - t0;
    },
    close: () => undefined,
  };
}

/**
 * Sends a write every 50 ms (each with its own deadline, at most 40 at once) until one is acknowledged; returns when
 * (performance.now()). Attempts overlap, so a request that hangs on a member with no leader (etcd does not fail
 * fast) does not hide a new leader that is already taking writes.
 */
async function untilWrite(write: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + 30_000;
  return new Promise<number>((resolve, reject) => {
    let inFlight = 0;
    let isDone = false;
    let lastError: unknown = null;
    const attempt = (): void => {
      if (isDone) return;
      if (performance.now() > deadline) {
        isDone = true;
        clearInterval(timer);
        reject(lastError ?? new Error('no write was acknowledged in 30 s'));
        return;
      }
      if (inFlight >= 40) return;
      inFlight++;
      write().then(
        () => {
          inFlight--;
          if (isDone) return;
          isDone = true;
          clearInterval(timer);
          resolve(performance.now());
        },
        (err: unknown) => {
          inFlight--;
          lastError = err;
        },
      );
    };
    const timer = setInterval(attempt, 50);
    attempt();
  });
}

/** Retries a call that is safe to repeat (a read, a put of a constant) until it answers, for up to 30 s. */
async function untilAnswer<T>(call: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/**
 * Put-start → event received at a watcher on the prefix, for each sequential put. A put that fails (a leader change
 * on a loaded machine) is counted and left out, as the load phases count theirs, rather than ending the bench.
 */
async function watchLatency(target: Target, warmupMs: number, measureMs: number, round: number): Promise<{ p50: number; p99: number; errors: number }> {
  const prefix = `/bench/watch/${round}/`;
  const started = new Map<string, number>();
  const latencies: number[] = [];
  let isMeasuring = false;
  const stop = await target.watch(prefix, (key) => {
    const t = started.get(key);
    if (t === undefined) return;
    started.delete(key);
    if (isMeasuring) latencies.push(performance.now() - t);
  });
  let i = 0;
  let errors = 0;
  const run = async (ms: number, measuring: boolean): Promise<void> => {
    isMeasuring = measuring;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const key = `${prefix}${i++}`;
      started.set(key, performance.now());
      try {
        await target.put(key, VALUE);
      } catch {
        started.delete(key);
        if (measuring) errors++;
      }
    }
  };
  await run(warmupMs, false);
  await run(measureMs, true);
  await sleep(200);
  await stop();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

export async function run(args: string[]): Promise<void> {
  const measureMs = numberOption(args, '--seconds', 10) * 1000;
  const warmupMs = numberOption(args, '--warmup', 1) * 1000;
  // Load on each target before the first phase: a Node.js process runs its hot paths unoptimized until V8 has seen
  // them (ccm's first seconds of puts take about twice the CPU of later ones); etcd is compiled ahead of time.
  const settleMs = numberOption(args, '--settle', 8) * 1000;
  const rounds = numberOption(args, '--rounds', 2);
  const failovers = numberOption(args, '--failovers', 3);
  const vsIndex = args.indexOf('--vs');
  const vs = vsIndex >= 0 ? args[vsIndex + 1] : undefined;
  if (vs !== undefined && vs !== 'etcd') throw new Error(`--vs takes etcd (got ${vs})`);
  const version = vs === 'etcd' ? etcdVersion() : null;
  if (vs === 'etcd' && version === null) out('etcd is not installed (/usr/bin/etcd; apt-get install etcd-server): measuring ccm alone');

  const encryption = stringOption(args, '--encryption', 'on');
  if (!['on', 'off', 'compare'].includes(encryption)) throw new Error('--encryption takes on, off or compare');
  if (encryption === 'compare') return compareEncryption(args);

  const logStore = stringOption(args, '--log-store', DEFAULT_SETTINGS.raftLogStore);
  if (logStore !== 'both' && !(RAFT_LOG_STORES as readonly string[]).includes(logStore)) throw new Error(`--log-store takes ${RAFT_LOG_STORES.join(', ')} or both`);
  const stores = (logStore === 'both' ? RAFT_LOG_STORES : [logStore]) as RaftLogStore[];
  // One cluster per Raft log store; with both, their rows interleave with etcd's in every phase.
  const ccms: { store: RaftLogStore; cluster: BenchCluster }[] = [];
  for (const store of stores) ccms.push({ store, cluster: await startCluster(3, 3, { peerEncryption: encryption === 'on', name: `ccm-${store}`, settings: { raftLogStore: store } }) });
  const ccm = ccms[0].cluster;
  if (logStore !== DEFAULT_SETTINGS.raftLogStore) out(`Raft log store: ${stores.join(' and ')}`);
  if (encryption === 'off') out('(peer encryption OFF: a comparison setting, never the default)');
  if (args.includes('--breakdown')) {
    try {
      await writeBreakdown(ccm, Math.max(300, Math.round(measureMs / 10)));
    } finally {
      await Promise.all(ccms.map((c) => c.cluster.stop()));
    }
    return;
  }
  let etcd: EtcdCluster | null = null;
  const targets: Target[] = [];
  try {
    if (version !== null) {
      etcd = await startEtcdCluster(3);
      const e = etcd;
      const etcdTarget = etcd3Target(`etcd ${version}`, e.endpoints, () => e.pids(), async (m) => e.kill(m), async (m) => {
        e.restart(m);
        await sleep(3000);
      });
      await untilWrite(() => etcdTarget.put('/bench/warm', VALUE));
      targets.push(etcdTarget);
    }
    for (const { store, cluster: ccm } of ccms) {
      const suffix = ccms.length > 1 ? ` [${store}]` : '';
      const file = ccm.file();
      const ccmHosts = file.nodes.map((n) => `http://${file.host}:${n.ports.etcd}`);
      const ccmEtcd = etcd3Target(
        `ccm (etcd API)${suffix}`,
        ccmHosts,
        ccm.pids,
        (m) => nodeAction(ccm.paths, m, 'kill').then(() => undefined),
        async (m) => {
          await nodeAction(ccm.paths, m, 'start');
          await sleep(1500);
        },
        ccmEtcdAuth(ccm),
      );
      await untilWrite(() => ccmEtcd.put('/bench/warm', VALUE));
      targets.push(ccmEtcd, nativeTarget(ccm, suffix));
    }

    for (const t of targets) {
      await runLoad({ concurrency: 16, warmupMs: 0, measureMs: settleMs, pids: [], op: (i) => (i % 4 === 3 ? t.get(`/bench/settle/${i % 1000}`) : t.put(`/bench/settle/${i % 1000}`, VALUE)) });
    }
    out(
      `3 members/voters on loopback, 256-byte values, ${settleMs / 1000} s of puts and gets on each target first, then ${measureMs / 1000} s measured after ${warmupMs / 1000} s warm-up per phase, ` +
        `${rounds} rounds interleaved (${targets.map((t) => t.name).join(', ')}), one driver process; ` +
        'the etcd3 client spreads calls over every member, the HTTP client sends to the leader',
    );
    const figures: Figure[] = [];
    const figure = (label: string, unit: string, higherIsBetter: boolean, digits = 0): Figure => {
      const f: Figure = { label, unit, higherIsBetter, digits, values: new Map() };
      figures.push(f);
      return f;
    };
    const record = (f: Figure, target: Target, value: number): void => void f.values.set(target.name, [...(f.values.get(target.name) ?? []), value]);

    const loadPhase = async (name: string, concurrency: number, op: (t: Target, i: number) => Promise<unknown>, withLatency: boolean): Promise<void> => {
      const ops = figure(name, 'ops/s', true);
      const p50 = withLatency ? figure(`${name}, p50`, 'ms', false, 2) : null;
      const p99 = withLatency ? figure(`${name}, p99`, 'ms', false, 2) : null;
      for (let round = 0; round < rounds; round++) {
        for (const t of targets) {
          const r = await runLoad({ concurrency, warmupMs, measureMs, pids: t.pids(), op: (i) => op(t, i) });
          out(
            `  ${name.padEnd(34)} ${t.name.padEnd(18)} ${fmt(r.opsPerSecond).padStart(6)} ops/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  errors ${r.errors}  ` +
              `driver CPU ${fmt(r.driverCpu * 100)}%  servers CPU ${fmt(r.clusterCpu * 100)}%`,
          );
          record(ops, t, r.opsPerSecond);
          if (p50) record(p50, t, r.p50Ms);
          if (p99) record(p99, t, r.p99Ms);
        }
      }
    };
    await loadPhase('sequential put', 1, (t, i) => t.put(`/bench/seq/${i % 1000}`, VALUE), true);
    await loadPhase('put, 16 in flight', 16, (t, i) => t.put(`/bench/p16/${i % 1000}`, VALUE), false);
    await loadPhase('put, 64 in flight', 64, (t, i) => t.put(`/bench/p64/${i % 1000}`, VALUE), false);
    await loadPhase('linearizable get, 64 in flight', 64, (t, i) => t.get(`/bench/p64/${i % 1000}`), false);
    await loadPhase('lease grant+put+revoke, 1', 1, (t, i) => t.leaseCycle(`/bench/lease1/${i % 1000}`), false);
    await loadPhase('lease grant+put+revoke, 16', 16, (t, i) => t.leaseCycle(`/bench/lease16/${i % 1000}`), false);

    const watchP50 = figure('watch put-start → event, p50', 'ms', false, 2);
    const watchP99 = figure('watch put-start → event, p99', 'ms', false, 2);
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) {
        const w = await watchLatency(t, warmupMs, measureMs, round);
        out(`  ${'watch put-start → event'.padEnd(34)} ${t.name.padEnd(18)} p50 ${fmt(w.p50, 2)} ms  p99 ${fmt(w.p99, 2)} ms  errors ${w.errors}`);
        record(watchP50, t, w.p50);
        record(watchP99, t, w.p99);
      }
    }

    const failover = figure(`leader failover (median of ${failovers})`, 'ms', false);
    for (const t of targets) {
      const runs: number[] = [];
      for (let r = 0; r < failovers; r++) runs.push(await t.failover());
      out(`  ${'leader failover: kill -9 → write'.padEnd(34)} ${t.name.padEnd(18)} ${runs.map((ms) => `${fmt(ms)} ms`).join(', ')}`);
      record(failover, t, median(runs));
    }

    printTable(figures, targets);
  } finally {
    for (const t of targets) t.close();
    await Promise.all([...ccms.map((c) => c.cluster.stop()), etcd?.stop()]);
  }
}

/** The table: each figure's rounds per target; with etcd, each ccm cell also carries the ratio of the rounds' means. */
function printTable(figures: Figure[], targets: Target[]): void {
  const base = targets[0];
  const hasEtcd = base.name.startsWith('etcd');
  out(`\nside by side, from this run${hasEtcd ? ` (ratio: ccm over ${base.name}, above 1× when ccm is better)` : ' (no etcd installed: ccm alone, no ratios)'}`);
  const cell = (f: Figure, t: Target): string => (f.values.get(t.name) ?? []).map((v) => fmt(v, f.digits)).join(' / ');
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = (f: Figure, t: Target): string => {
    const ours = mean(f.values.get(t.name) ?? []);
    const theirs = mean(f.values.get(base.name) ?? []);
    const r = f.higherIsBetter ? ours / theirs : theirs / ours;
    return Number.isFinite(r) ? `${r.toFixed(2)}×` : '-';
  };
  const header = ['figure', ...targets.map((t) => t.name)];
  const rows = figures.map((f) => [`${f.label} (${f.unit})`, ...targets.map((t, i) => (hasEtcd && i > 0 ? `${cell(f, t)}  ${ratio(f, t)}` : cell(f, t)))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  out(line(header));
  out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) out(line(r));
}

/** A difference of means with its sign: "+0.31 ms", "-0.05 ms". */
const signedMs = (ms: number): string => `${ms >= 0 ? '+' : '-'}${fmt(Math.abs(ms), 2)} ms`;

/** Mean latency of `n` sequential calls (after 50 to warm up), in ms. */
async function meanMs(n: number, op: (i: number) => Promise<unknown>): Promise<{ mean: number; p50: number }> {
  for (let i = 0; i < 50; i++) await op(i);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return { mean: xs.reduce((a, b) => a + b, 0) / n, p50: percentile(xs, 50) };
}

/** A node's durable-commit timings (ccm_disk_sync_duration_seconds): count and total seconds so far. */
async function syncTotals(host: string, port: number): Promise<{ count: number; seconds: number }> {
  const m = await requestJson<{ families: { name: string; samples: { name: string; value: number }[] }[] }>({ host, port }, 'GET', '/v1/metrics', undefined, { timeoutMs: 5000 }).catch(() => null);
  const samples = m?.families.find((f) => f.name === 'ccm_disk_sync_duration_seconds')?.samples ?? [];
  return {
    count: samples.find((x) => x.name.endsWith('_count'))?.value ?? 0,
    seconds: samples.find((x) => x.name.endsWith('_sum'))?.value ?? 0,
  };
}

/**
 * Where a sequential write's time goes: each request kind adds one step to the one before (a local read, then
 * ReadIndex, then a replicated write, then a forward from a follower), over HTTP and over the etcd API; the nodes'
 * sync timings say how much of a write is the SQLite commit (fsync) on the leader and on a follower.
 */
async function writeBreakdown(cluster: BenchCluster, n: number): Promise<void> {
  const file = cluster.file();
  const http = cluster.client();
  await http.put('/bench/breakdown', VALUE);
  const leader = http.knownLeader()!;
  const node = (id: string) => file.nodes.find((x) => x.id === id)!;
  const follower = file.nodes.find((x) => x.id !== leader)!.id;
  const etcdAt = (id: string) => new Etcd3({ hosts: [`http://${file.host}:${node(id).ports.etcd}`], auth: ccmEtcdAuth(cluster) });
  const [eLeader, eFollower] = [etcdAt(leader), etcdAt(follower)];
  const httpAt = (id: string) => new CcmClient([{ id, host: file.host, port: node(id).ports.http }]);
  const [hLeader, hFollower] = [httpAt(leader), httpAt(follower)];
  const row = (label: string, r: { mean: number; p50: number }, note = ''): void => out(`  ${label.padEnd(58)} mean ${fmt(r.mean, 2).padStart(6)} ms   p50 ${fmt(r.p50, 2).padStart(6)} ms  ${note}`);
  out(`where a sequential write's time goes (ccm, 3 voters, leader ${leader}; ${n} sequential calls each, 256-byte values)`);
  const localRead = await meanMs(n, () => hLeader.get('/bench/breakdown', { serializable: true }));
  row('HTTP: serializable get on the leader (round trip + SQLite read)', localRead);
  const readIndex = await meanMs(n, () => hLeader.get('/bench/breakdown'));
  row('HTTP: linearizable get on the leader (+ ReadIndex round)', readIndex, `${signedMs(readIndex.mean - localRead.mean)}`);
  const before = await Promise.all(file.nodes.map((x) => syncTotals(file.host, x.ports.http)));
  const put = await meanMs(n, (i) => hLeader.put(`/bench/breakdown/${i % 100}`, VALUE));
  const after = await Promise.all(file.nodes.map((x) => syncTotals(file.host, x.ports.http)));
  row('HTTP: put on the leader (+ replication, fsyncs, apply)', put, `${signedMs(put.mean - localRead.mean)} over the local read`);
  const forwarded = await meanMs(n, (i) => hFollower.put(`/bench/breakdown/${i % 100}`, VALUE));
  row('HTTP: put on a follower (+ forward to the leader)', forwarded, `${signedMs(forwarded.mean - put.mean)} over the put on the leader`);
  const status = await meanMs(n, () => eLeader.maintenance.status());
  row('etcd API: Status on the leader (gRPC round trip, no core)', status);
  const eRead = await meanMs(n, () => eLeader.get('/bench/breakdown').string());
  row('etcd API: linearizable get on the leader', eRead, `${signedMs(eRead.mean - readIndex.mean)} against HTTP`);
  const ePut = await meanMs(n, (i) => eLeader.put(`/bench/breakdown/${i % 100}`).value(VALUE).exec());
  row('etcd API: put on the leader', ePut, `${signedMs(ePut.mean - put.mean)} against HTTP`);
  const eForwarded = await meanMs(n, (i) => eFollower.put(`/bench/breakdown/${i % 100}`).value(VALUE).exec());
  row('etcd API: put on a follower', eForwarded, `${signedMs(eForwarded.mean - ePut.mean)} over the put on the leader`);
  file.nodes.forEach((x, i) => {
    const count = after[i].count - before[i].count;
    const ms = count > 0 ? ((after[i].seconds - before[i].seconds) / count) * 1000 : NaN;
    out(`  ${`${x.id}${x.id === leader ? ' (leader)' : ''}: durable SQLite commits during the leader puts`.padEnd(58)} ${count} (${fmt(count / n, 2)} per put), mean ${fmt(ms, 2)} ms each`);
  });
  for (const c of [eLeader, eFollower]) c.close();
}
