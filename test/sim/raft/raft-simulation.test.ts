import { expect } from 'chai';
import { SeededRandom } from '../../../src/random/random.js';
import { SimKernel } from '../../../src/sim/kernel/sim-kernel.js';
import { SimNetwork } from '../../../src/sim/kernel/sim-network.js';
import { DEFAULT_RAFT_SIM_STEPS, runRaftSimulation, sweepNodes, type RaftSimReport, type RaftSimBug } from '../../../src/sim/raft/raft-simulator.js';
import { SimCluster, TICK_MS } from '../../../src/sim/raft/sim-cluster.js';
import type { SimRaftNode } from '../../../src/sim/raft/sim-node.js';

/** The seed sweep npm test runs: mixed cluster sizes, every fault, every workload (`npm run sim -- raft` runs more). */
const SWEEP_SEEDS = 300;
const SWEEP_BATCH = 50;
const SWEEP_STEPS = DEFAULT_RAFT_SIM_STEPS;

function describeFailure(r: RaftSimReport, steps: number): string {
  const v = r.violations[0];
  return (
    `seed ${r.seed}: ${v.kind} at step ${v.step} (${v.timeMs} ms): ${v.description}\n` +
    `replay: npx ccm sim raft --seed ${r.seed} --nodes ${r.nodes} --steps ${steps} --trace`
  );
}

describe('sim/raft: deterministic simulation of Raft under faults', function () {
  this.timeout(120_000);

  for (let from = 1; from <= SWEEP_SEEDS; from += SWEEP_BATCH) {
    const to = from + SWEEP_BATCH - 1;
    it(`seeds ${from}-${to}: election safety, log matching, leader completeness, state machine safety, read linearizability and liveness hold`, () => {
      const failures: string[] = [];
      for (let seed = from; seed <= to; seed++) {
        const r = runRaftSimulation({ seed, nodes: sweepNodes(seed), steps: SWEEP_STEPS });
        if (!r.ok) failures.push(describeFailure(r, SWEEP_STEPS));
      }
      expect(failures, failures.join('\n\n')).to.deep.equal([]);
    });
  }

  it('the sweep exercises every mechanism (elections, snapshots, conf changes, reads, transfers, every fault)', () => {
    const total: Record<string, number> = {};
    for (let seed = 1; seed <= 20; seed++) {
      const r = runRaftSimulation({ seed, nodes: sweepNodes(seed), steps: SWEEP_STEPS });
      const flat = { ...r.stats, ...r.stats.faults } as Record<string, unknown>;
      for (const [k, v] of Object.entries(flat)) if (typeof v === 'number') total[k] = (total[k] ?? 0) + v;
    }
    for (const k of [
      'leadersElected',
      'entriesCommitted',
      'snapshotsSent',
      'snapshotsRestored',
      'confChangesApplied',
      'readsAnswered',
      'transfersRequested',
      'forcedElections',
      'crashes',
      'crashesDuringWrite',
      'partitions',
      'isolations',
      'majorityRings',
      'oneWayPartitions',
      'lossBursts',
      'duplicationBursts',
      'reorderBursts',
      'clogs',
    ]) {
      expect(total[k], k).to.be.above(0);
    }
  });

  it('a seed replays bit for bit: same report, same trace', () => {
    const run = (): { report: RaftSimReport; trace: string[] } => {
      const trace: string[] = [];
      const report = runRaftSimulation({ seed: 4242, nodes: 5, steps: 2000, trace: (l) => trace.push(l) });
      return { report, trace };
    };
    const a = run();
    const b = run();
    expect(a.report).to.deep.equal(b.report);
    expect(a.trace).to.deep.equal(b.trace);
    expect(a.trace.length).to.be.above(50);
    // fixed columns: step, time, node, role, term, commit, event
    expect(a.trace[0]).to.match(/^\s+step\s+time_ms node\s+role\s+term\s+commit event$/);
    expect(a.trace.find((l) => / leader /.test(l))).to.match(/^\s+\d+\s+\d+ n\d\s+leader\s+\d+\s+\d+ /);
  });

  it('different seeds take different paths', () => {
    const a = runRaftSimulation({ seed: 1, nodes: 5, steps: 1500 });
    const b = runRaftSimulation({ seed: 2, nodes: 5, steps: 1500 });
    expect(a.stats).to.not.deep.equal(b.stats);
  });

  /** Runs seeds until one reports a violation of one of `kinds`; returns that report. */
  function findViolation(bug: RaftSimBug, nodes: number, kinds: string[], maxSeeds: number): RaftSimReport | undefined {
    for (let seed = 1; seed <= maxSeeds; seed++) {
      const r = runRaftSimulation({ seed, nodes, steps: 3000, bug });
      if (!r.ok && kinds.includes(r.violations[0].kind)) return r;
    }
    return undefined;
  }

  it('the checker catches a real bug: a voter that grants every vote yields two leaders in one term', () => {
    const r = findViolation('grant-all-votes', 5, ['election-safety'], 40);
    expect(r, 'no seed in 1..40 exposed the double vote').to.not.equal(undefined);
    expect(r?.violations[0].description).to.match(/two leaders in term \d+/);
    expect(r?.bug).to.equal('grant-all-votes');
  });

  it('the checker catches a real bug: acknowledging before fsync loses committed entries or votes', () => {
    const r = findViolation('ack-before-fsync', 3, ['leader-completeness', 'state-machine-safety', 'log-matching', 'election-safety'], 100);
    expect(r, 'no seed in 1..100 exposed the lost writes').to.not.equal(undefined);
  });

  it('liveness is checked: a heal phase too short to elect and commit is reported', () => {
    const r = runRaftSimulation({ seed: 3, nodes: 5, steps: 500, livenessTimeoutMs: 0 });
    expect(r.ok).to.equal(false);
    expect(r.livenessReached).to.equal(false);
    expect(r.violations.map((v) => v.kind)).to.deep.equal(['liveness']);
  });

  it('a node runs the Ready loop as the driver ships it: immediate messages, then the write, then what waited; a crash in between loses the write', () => {
    const rng = new SeededRandom(7);
    const cluster = new SimCluster({
      rng,
      network: new SimNetwork(new SimKernel(), rng.fork(), { kind: 'exponential', minMs: 1, meanMs: 2 }),
      config: { electionTicks: 10, heartbeatTicks: 1 },
      snapshotPolicy: { everyEntries: 1_000_000, keepEntries: 0 },
    });
    const ids = ['n1', 'n2', 'n3'];
    for (const id of ids) {
      const node = cluster.createNode(id);
      node.start(rng.fork()).bootstrap(ids);
      node.processReady();
      cluster.startTicking(node, rng.int(0, TICK_MS));
    }
    const [n1, n2] = ids.map((id) => cluster.nodes.get(id) as SimRaftNode);
    const runUntil = (done: () => boolean): void => {
      for (let i = 0; i < 100_000 && !done(); i++) cluster.runNext();
      expect(done()).to.equal(true);
    };
    n1.raw?.campaign();
    cluster.touched(n1);
    runUntil(() => n1.raw?.role === 'leader' && n2.app.appliedIndex === n1.raw.basicStatus().lastIndex && !n1.isWriting);
    const { index } = n1.raw!.propose('written-by-the-followers-only');
    expect(n1.startReady()).to.equal(true); // the append to n2 and n3 is out...
    expect(n1.isWriting).to.equal(true);
    n1.crash(); // ...and the leader dies before its own write finishes
    expect(n1.storage.lastIndex()).to.be.below(index);
    runUntil(() => n2.storage.lastIndex() >= index);
    expect(n2.storage.entries(index, index + 1)[0].data).to.equal('written-by-the-followers-only');
    cluster.restartNode(n1, 'restarted');
    runUntil(() => n1.app.appliedIndex >= index && cluster.currentLeader() !== undefined);
    expect(cluster.checker.violations).to.deep.equal([]);
  });

  it('rejects bad options', () => {
    expect(() => runRaftSimulation({ seed: 1, nodes: 0 })).to.throw(RangeError, /nodes/);
    expect(() => runRaftSimulation({ seed: 1, nodes: 10 })).to.throw(RangeError, /nodes/);
    expect(() => runRaftSimulation({ seed: 1, steps: -1 })).to.throw(RangeError, /steps/);
  });
});
