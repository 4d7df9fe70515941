import { expect } from 'chai';
import { leaderAgreement } from '../../../src/leader/emergent-leader.js';
import { GossipSimulation } from '../../../src/sim/gossip/gossip-simulation.js';
import { runDissemination, runFailureDetection, runPartitionHeal, runRestart, runStability, nodeIds } from '../../../src/sim/gossip/scenarios.js';
import { isConverged } from '../../../src/sim/gossip/swim-invariants.js';
import { localConfig } from '../../../src/swim/swim-config.js';

const seeds = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
/** Say which seed failed, so it can be replayed. */
const replay = (what: string, seed: number): string => `${what} (replay: seed ${seed})`;

describe('SWIM seed sweeps (simulated cluster, virtual time)', function () {
  this.timeout(120_000);

  it('SWIM: a killed node is declared dead by every live node, and no live node is ever declared dead (7 nodes, 0 % and 5 % loss)', () => {
    for (const loss of [0, 0.05]) {
      for (const seed of seeds(1, 12)) {
        const r = runFailureDetection({ nodes: 7, link: { loss }, seed, settleMs: 10_000 });
        expect(r.allDetectedMs, replay(`loss ${loss}: some node never declared ${r.victim} dead`, seed)).to.not.equal(null);
        expect(r.allDetectedMs!, replay('detection within a generous deadline', seed)).to.be.below(30_000);
        expect(r.falsePositives, replay(`loss ${loss}: live members declared dead`, seed)).to.deep.equal([]);
      }
    }
  });

  it('SWIM: a killed node is declared dead everywhere in a 100-node cluster', () => {
    for (const seed of seeds(1, 3)) {
      const r = runFailureDetection({ nodes: 100, seed, settleMs: 5000 });
      expect(r.detectedBy, replay('observers that declared the victim dead', seed)).to.equal(99);
      expect(r.falsePositives, replay('false positives', seed)).to.deep.equal([]);
    }
  });

  it('SWIM + Lifeguard: behind 5 % packet loss on every link, no live node is ever declared dead (but some are suspected and refute)', () => {
    let suspicions = 0;
    let refutations = 0;
    for (const seed of seeds(1, 15)) {
      const r = runStability({ nodes: 7, link: { loss: 0.05 }, seed, durationMs: 60_000 });
      expect(r.falsePositives, replay('false positives at 5 % loss', seed)).to.deep.equal([]);
      expect(r.isConvergedAtEnd, replay('one view at the end', seed)).to.equal(true);
      suspicions += r.falseSuspicions;
      refutations += r.refutations;
    }
    // The sweep is not vacuous: loss did make nodes suspect each other, and refutations saved them.
    expect(suspicions).to.be.above(10);
    expect(refutations).to.be.above(5);
  });

  it('SWIM + Lifeguard: a node that is only slow (stalls of 100–400 ms) is never declared dead, though it is suspected and its health score rises', () => {
    let suspicions = 0;
    let refutations = 0;
    let maxHealth = 0;
    for (const seed of seeds(1, 15)) {
      const r = runStability({ nodes: 7, seed, durationMs: 60_000, slowNodes: 1, stalls: { meanGapMs: 1000, minMs: 100, maxMs: 400 } });
      expect(r.falsePositives, replay('false positives with a slow node', seed)).to.deep.equal([]);
      expect(r.isConvergedAtEnd, replay('one view at the end', seed)).to.equal(true);
      suspicions += r.falseSuspicions;
      refutations += r.refutations;
      maxHealth = Math.max(maxHealth, r.maxHealthScore);
    }
    expect(suspicions).to.be.above(100);
    expect(refutations).to.be.above(50);
    expect(maxHealth).to.be.above(0);
  });

  it('SWIM: a partitioned-then-healed cluster reconverges to one view, and agrees on one leader again', () => {
    for (const seed of seeds(1, 8)) {
      const r = runPartitionHeal({ nodes: 10, seed });
      expect(r.sidesDeclaredDeadMs, replay('each side declared the other dead', seed)).to.not.equal(null);
      expect(r.reconvergedAfterMs, replay('reconverged after the heal', seed)).to.not.equal(null);
      expect(r.falsePositives, replay('false positives outside the partition', seed)).to.deep.equal([]);
    }
    const sim = new GossipSimulation({ seed: 9, config: localConfig() });
    const ids = nodeIds(6);
    sim.startByJoining(ids);
    sim.runUntilTrue(() => isConverged(sim), 10_000);
    const views = () => new Map(ids.map((id) => [id, sim.process(id).swim.members()]));
    expect(leaderAgreement(views())).to.deep.include({ isAgreed: true, leader: 'n1' });
    const [a, b] = [ids.slice(0, 3), ids.slice(3)];
    sim.partition([a, b]);
    const isSplit = (): boolean => a.every((x) => b.every((y) => sim.view(x, y)?.state === 'dead' && sim.view(y, x)?.state === 'dead'));
    expect(sim.runUntilTrue(isSplit, 30_000)).to.equal(true);
    const split = leaderAgreement(views());
    expect(split.isAgreed).to.equal(false);
    expect(split.groups.map((g) => g.leader).sort()).to.deep.equal(['n1', 'n4']);
    sim.heal();
    expect(sim.runUntilTrue(() => isConverged(sim), 60_000)).to.equal(true);
    expect(leaderAgreement(views())).to.deep.include({ isAgreed: true, leader: 'n1' });
  });

  it('SWIM: a tag spreads to every node (200 nodes at 0 % and 5 % loss; 20 joined nodes over JSON)', () => {
    for (const loss of [0, 0.05]) {
      for (const seed of seeds(1, 3)) {
        const r = runDissemination({ nodes: 200, link: { loss }, seed });
        expect(r.timeToAllMs, replay(`loss ${loss}: every node learnt the tag`, seed)).to.not.equal(null);
        expect(r.rounds.at(-1)!.fraction).to.equal(1);
      }
    }
    const r = runDissemination({ nodes: 20, seed: 4, start: 'join', wire: 'json' });
    expect(r.timeToAllMs).to.not.equal(null);
  });

  it('SWIM: a restarted node (incarnation 0 again) becomes alive everywhere with a higher incarnation than it died with', () => {
    for (const seed of seeds(1, 10)) {
      const r = runRestart({ nodes: 7, seed });
      expect(r.backAliveAfterMs, replay(`${r.victim} back alive everywhere`, seed)).to.not.equal(null);
      expect(r.incarnationAfter!, replay('incarnation after restart', seed)).to.be.above(r.incarnationAtDeath);
      expect(r.falsePositives, replay('false positives', seed)).to.deep.equal([]);
    }
  });

  it('Emergent Leader: when the leader dies, every view names the next oldest once they agree it is dead', () => {
    const sim = new GossipSimulation({ seed: 12, config: localConfig() });
    const ids = nodeIds(5);
    sim.startByJoining(ids);
    sim.runUntilTrue(() => isConverged(sim), 10_000);
    sim.kill('n1');
    const live = ids.slice(1);
    expect(sim.runUntilTrue(() => live.every((o) => sim.view(o, 'n1')?.state === 'dead'), 30_000)).to.equal(true);
    expect(leaderAgreement(new Map(live.map((id) => [id, sim.process(id).swim.members()])))).to.deep.include({ isAgreed: true, leader: 'n2' });
  });

  it('the "no live node declared dead" checker can fail: with suspicion timeout 0 and no indirect checks, loss kills live nodes', () => {
    let violations = 0;
    for (const seed of seeds(1, 3)) {
      const r = runStability({ nodes: 7, link: { loss: 0.1 }, seed, durationMs: 20_000, config: { suspicionMult: 0, indirectChecks: 0 } });
      violations += r.falsePositives.length;
    }
    expect(violations).to.be.above(0);
  });

  it('a seed replays the same run exactly', () => {
    const strip = (r: object): string => JSON.stringify({ ...r, wallMs: 0 });
    expect(strip(runDissemination({ nodes: 300, link: { loss: 0.05 }, seed: 77 }))).to.equal(strip(runDissemination({ nodes: 300, link: { loss: 0.05 }, seed: 77 })));
    expect(strip(runFailureDetection({ nodes: 7, link: { loss: 0.05 }, seed: 77 }))).to.equal(strip(runFailureDetection({ nodes: 7, link: { loss: 0.05 }, seed: 77 })));
  });
});
