import { expect } from 'chai';
import { SeededRandom } from '../../../src/random/random.js';
import { GossipSimulation } from '../../../src/sim/gossip/gossip-simulation.js';
import { SimKernel } from '../../../src/sim/kernel/sim-kernel.js';
import { SimNetwork } from '../../../src/sim/kernel/sim-network.js';
import { SimCluster, TICK_MS } from '../../../src/sim/raft/sim-cluster.js';
import { localConfig } from '../../../src/swim/swim-config.js';

/**
 * The first step to a whole-node simulation: a Raft cluster and a gossip cluster on the same nodes, one kernel, one
 * network. A fault names a node once and both protocols feel it; one seed orders every event of both.
 */
function runBoth(seed: number): { log: string[]; raftLeader: string | undefined; n2SeesN1: string | undefined; steps: number } {
  const rng = new SeededRandom(seed);
  const network = new SimNetwork(new SimKernel(), rng.fork(), { kind: 'exponential', minMs: 1, meanMs: 3 });
  const log: string[] = [];
  const raft = new SimCluster({
    rng,
    network,
    config: { electionTicks: 10, heartbeatTicks: 1, checkQuorum: true, preVote: true },
    snapshotPolicy: { everyEntries: 1_000_000, keepEntries: 0 },
    trace: (line) => log.push(`raft ${line.trim()}`),
  });
  const ids = ['n1', 'n2', 'n3'];
  for (const id of ids) {
    const node = raft.createNode(id);
    node.start(rng.fork()).bootstrap(ids);
    node.processReady();
    raft.startTicking(node, rng.int(0, TICK_MS));
  }
  const gossip = new GossipSimulation({ seed, config: localConfig(), network });
  gossip.onEvent((observer, ev) => log.push(`swim ${network.kernel.nowMs} ${observer}: ${ev.type} ${ev.memberId}`));
  gossip.startConverged(ids);
  network.kernel.runUntil(3000);
  raft.nodes.get('n1')?.raw?.campaign();
  network.kernel.runUntil(4000);
  network.add({ kind: 'partition', groups: [['n1'], ['n2', 'n3']] });
  network.kernel.runUntil(15_000);
  expect(raft.checker.ok, raft.checker.violations[0]?.description).to.equal(true);
  return { log, raftLeader: raft.currentLeader()?.id, n2SeesN1: gossip.view('n2', 'n1')?.state, steps: network.kernel.steps };
}

describe('sim/kernel: Raft and gossip on one kernel', () => {
  it('a partition on the shared network cuts both protocols: the majority elects a Raft leader and holds n1 dead in gossip', () => {
    const r = runBoth(11);
    expect(r.raftLeader).to.be.oneOf(['n2', 'n3']);
    expect(r.n2SeesN1).to.equal('dead');
    expect(r.log.some((l) => l.startsWith('raft '))).to.equal(true);
    expect(r.log.some((l) => l.startsWith('swim '))).to.equal(true);
  });

  it('one seed replays both protocols exactly, event for event; another seed runs differently', () => {
    const a = runBoth(12);
    expect(runBoth(12)).to.deep.equal(a);
    expect(runBoth(13).log).to.not.deep.equal(a.log);
  });
});
