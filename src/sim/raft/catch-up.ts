/**
 * A measurement on the simulator: how fast a follower that missed `behind` entries catches up, in entries per
 * second of virtual time. Three voters; n1 leads; n3 is down while n1 and n2 commit `behind` entries (the log is
 * never compacted, so this is log replication, not a snapshot); then n3 restarts and the clock runs until it has
 * durably appended every entry the leader held at the restart. Optional client load keeps the leader appending
 * meanwhile. The network is the simulator's (one-way delays of 1 ms + an exponential tail, in order on each path
 * unless `orderedPaths` is false), with no faults; Ready turns and disk writes take the simulator's latencies.
 *
 * `npm run sim -- catch-up` prints it for a few settings; the same options give the same figure.
 */
import type { NodeId } from '../../raft/index.js';
import { SeededRandom } from '../../random/random.js';
import { SimKernel } from '../kernel/sim-kernel.js';
import { SimNetwork } from '../kernel/sim-network.js';
import { SimCluster, TICK_MS } from './sim-cluster.js';
import type { SimRaftNode } from './sim-node.js';

export interface CatchUpOptions {
  seed?: number;
  /** Entries the follower misses. Default 1000. */
  behind?: number;
  /** Default 1 MiB (the core's default). */
  maxSizePerMsgBytes?: number;
  /** Default 256 (the core's default). */
  maxInflightMsgs?: number;
  /** Mean of the random part of a one-way delay, ms (the minimum is 1 ms). Default 4. */
  delayMsMean?: number;
  /** Data bytes per entry. Default 16. */
  entryDataBytes?: number;
  /** Client proposals per second of virtual time on the leader while the follower catches up. Default 0. */
  loadPerSecond?: number;
  /** Heartbeat interval in ticks of 10 ms. Default 1. */
  heartbeatTicks?: number;
  /** Election timeout in ticks. Default 10. */
  electionTicks?: number;
  /** Each path delivers in order, as over TCP (default true); false: every message takes its own delay, reordering freely. */
  orderedPaths?: boolean;
}

export interface CatchUpResult {
  options: Required<CatchUpOptions>;
  /** Entries the follower had to fetch (the leader's last index at the restart minus the follower's). */
  entries: number;
  /** Virtual time from the restart until the follower held them all durably. */
  catchUpMs: number;
  entriesPerSecond: number;
  /** Append messages the leader sent the follower meanwhile, and the entries they carried (resends included). */
  appendsSent: number;
  entriesSent: number;
  /** Appends the follower rejected. */
  rejections: number;
  /** Heartbeat round trips the catch-up took (catchUpMs over the heartbeat interval). */
  heartbeats: number;
}

const GIVE_UP_MS = 600_000;

export function measureCatchUp(opts: CatchUpOptions = {}): CatchUpResult {
  const o: Required<CatchUpOptions> = {
    seed: opts.seed ?? 1,
    behind: opts.behind ?? 1000,
    maxSizePerMsgBytes: opts.maxSizePerMsgBytes ?? 1024 * 1024,
    maxInflightMsgs: opts.maxInflightMsgs ?? 256,
    delayMsMean: opts.delayMsMean ?? 4,
    entryDataBytes: opts.entryDataBytes ?? 16,
    loadPerSecond: opts.loadPerSecond ?? 0,
    heartbeatTicks: opts.heartbeatTicks ?? 1,
    electionTicks: opts.electionTicks ?? 10,
    orderedPaths: opts.orderedPaths ?? true,
  };
  const rng = new SeededRandom(o.seed);
  const network = new SimNetwork(new SimKernel(), rng.fork(), { kind: 'exponential', minMs: 1, meanMs: o.delayMsMean });
  let counting = false;
  const sent = { appends: 0, entries: 0, rejections: 0 };
  const cluster = new SimCluster({
    rng,
    network,
    orderedPaths: o.orderedPaths,
    config: {
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      maxSizePerMsgBytes: o.maxSizePerMsgBytes,
      maxInflightMsgs: o.maxInflightMsgs,
    },
    snapshotPolicy: { everyEntries: Number.MAX_SAFE_INTEGER, keepEntries: 0 },
    onSend: (m) => {
      if (!counting) return;
      if (m.type === 'app' && m.to === 'n3') {
        sent.appends++;
        sent.entries += m.entries.length;
      } else if (m.type === 'app-resp' && m.from === 'n3' && m.reject) {
        sent.rejections++;
      }
    },
  });
  const ids: NodeId[] = ['n1', 'n2', 'n3'];
  for (const id of ids) {
    const node = cluster.createNode(id);
    node.start(rng.fork()).bootstrap(ids);
    node.processReady();
    cluster.startTicking(node, rng.int(0, TICK_MS));
  }
  const [n1, n2, n3] = ids.map((id) => cluster.nodes.get(id) as SimRaftNode);
  const runUntil = (done: () => boolean, what: string): void => {
    const deadline = cluster.nowMs + GIVE_UP_MS;
    while (!done()) {
      if (!cluster.checker.ok) throw new Error(`catch-up: ${cluster.checker.violations[0].kind}: ${cluster.checker.violations[0].description}`);
      if (cluster.nowMs > deadline || !cluster.runNext()) throw new Error(`catch-up: gave up waiting for ${what}`);
    }
  };
  const leaderLast = (): number => n1.raw?.basicStatus().lastIndex ?? 0;

  n1.raw?.campaign();
  cluster.touched(n1);
  runUntil(() => n1.raw?.role === 'leader' && n3.app.appliedIndex >= leaderLast(), 'n1 to lead with everyone caught up');

  n3.crash();
  const pad = 'x'.repeat(Math.max(0, o.entryDataBytes - 8));
  let seq = 0;
  const propose = (): void => {
    const data = `${String(++seq).padStart(8, '0')}${pad}`.slice(0, Math.max(1, o.entryDataBytes));
    n1.raw?.propose(data);
    cluster.touched(n1);
  };
  for (let i = 0; i < o.behind; i++) propose();
  runUntil(() => n2.app.appliedIndex >= leaderLast(), 'n2 to apply the backlog');

  cluster.restartNode(n3, 'restarted');
  const startMs = cluster.nowMs;
  const target = leaderLast();
  const from = n3.storage.lastIndex();
  counting = true;
  if (o.loadPerSecond > 0) {
    const everyMs = 1000 / o.loadPerSecond;
    let next = startMs;
    const tick = (): void => {
      if (n1.raw?.role === 'leader') propose();
      next += everyMs;
      cluster.at(Math.round(next), tick);
    };
    cluster.at(startMs, tick);
  }
  runUntil(() => n3.storage.lastIndex() >= target, 'n3 to catch up');
  const catchUpMs = cluster.nowMs - startMs;
  const entries = target - from;
  return {
    options: o,
    entries,
    catchUpMs,
    entriesPerSecond: catchUpMs === 0 ? Number.POSITIVE_INFINITY : (entries * 1000) / catchUpMs,
    appendsSent: sent.appends,
    entriesSent: sent.entries,
    rejections: sent.rejections,
    heartbeats: catchUpMs / (o.heartbeatTicks * TICK_MS),
  };
}
