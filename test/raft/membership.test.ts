import { expect } from 'chai';
import { MemoryStorage, ProposalDroppedError, RaftArgumentError, RawNode, decodeConfChange, encodeConfChange } from '../../src/raft/index.js';
import { TestCluster, minRandom, ofType, sentBy } from './raft-test-cluster.js';

describe('raft: membership changes with learners (thesis §4, single-server changes)', () => {
  it('learners receive the log but never vote nor count toward a quorum', () => {
    const c = new TestCluster(['a', 'b', 'l'], { voters: ['a', 'b'], learners: ['l'] });
    c.elect('a');
    expect(ofType(c.node('a').readies.flatMap((r) => sentBy(r)), 'vote').map((m) => m.to)).to.deep.equal(['b']);
    c.proposeAndCommit('a', 'x');
    expect(c.appliedData('l')).to.deep.equal(['x']);
    // with b away, a and the learner are no quorum: nothing commits
    c.isolated.add('b');
    c.raw('a').propose('y');
    c.stabilize();
    expect(c.raw('a').basicStatus().commit).to.equal(2);
    expect(c.raw('l').basicStatus().lastIndex).to.equal(3); // it has the entry...
    expect(c.appliedData('l')).to.deep.equal(['x']); // ...but it is not committed
    expect(c.raw('a').status().progress.l).to.include({ isLearner: true, match: 3 });
  });

  it('adding a learner: an empty joiner catches up from the log and rebuilds the configuration from it', () => {
    const c = new TestCluster(['a', 'b', 'c'], { bootstrap: true });
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    c.stabilize();
    expect(c.node('a').confState).to.deep.equal({ voters: ['a', 'b', 'c'], learners: ['d'] });
    // d starts empty, as a node joining an existing cluster does
    c.addNode('d', new MemoryStorage());
    c.tick('a', 1);
    c.stabilize();
    expect(c.appliedData('d')).to.deep.equal(['x']);
    expect(c.node('d').applied.filter((e) => e.kind === 'conf-change')).to.have.length(4); // 3 bootstrap + its own
    expect(c.node('d').confState).to.deep.equal({ voters: ['a', 'b', 'c'], learners: ['d'] });
  });

  it('add-voter promotes a learner, which then counts for quorum', () => {
    const c = new TestCluster(['a', 'b', 'l'], { voters: ['a', 'b'], learners: ['l'] });
    c.elect('a');
    c.raw('a').proposeConfChange({ type: 'add-voter', nodeId: 'l' });
    c.stabilize();
    expect(c.node('a').confState).to.deep.equal({ voters: ['a', 'b', 'l'], learners: [] });
    expect(c.node('l').events).to.deep.include({
      type: 'conf-change-applied',
      change: { type: 'add-voter', nodeId: 'l' },
      confState: { voters: ['a', 'b', 'l'], learners: [] },
    });
    c.isolated.add('b'); // a + l are now 2 of 3
    c.proposeAndCommit('a', 'y');
    expect(c.appliedData('a')).to.deep.equal(['y']);
  });

  it('one pending conf change at a time: a second waits until the first is applied', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    expect(() => c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'e' })).to.throw(ProposalDroppedError, /pending/);
    c.stabilize();
    expect(c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'e' }).index).to.equal(3);
  });

  it('a new leader refuses conf changes until it has applied its whole log at election', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.raw('a').campaign();
    for (let i = 0; i < 4; i++) {
      c.processAll();
      c.deliver((m) => m.type !== 'app');
    }
    expect(c.raw('a').basicStatus().role).to.equal('leader');
    // nothing applied yet at index 0 == pendingConfIndex 0: allowed; an uncommitted tail would block it
    expect(() => c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' })).to.not.throw();
  });

  it('invalid conf changes are refused with the reason', () => {
    const c = new TestCluster(['a', 'b', 'l'], { voters: ['a', 'b'], learners: ['l'] });
    c.elect('a');
    expect(() => c.raw('a').proposeConfChange({ type: 'add-voter', nodeId: 'b' })).to.throw(RaftArgumentError, /already a voter/);
    expect(() => c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'b' })).to.throw(RaftArgumentError, /demotion/);
    expect(() => c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'l' })).to.throw(RaftArgumentError, /already a learner/);
    expect(() => c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'x' })).to.throw(RaftArgumentError, /not in the configuration/);
    const single = new TestCluster(['a']);
    single.raw('a').campaign();
    single.processAll();
    expect(() => single.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'a' })).to.throw(RaftArgumentError, /last voter/);
  });

  it('removing a voter shrinks the quorum: entries stuck for want of it commit', () => {
    const c = new TestCluster(['a', 'b', 'c', 'd']);
    c.elect('a');
    c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'd' });
    c.isolated.add('d');
    c.stabilize();
    c.isolated.add('c');
    c.raw('a').propose('x'); // a + b are 2 of {a,b,c}: commits
    c.stabilize();
    expect(c.appliedData('a')).to.deep.equal(['x']);
    expect(c.raw('a').status().progress).to.not.have.property('d');
  });

  it('a removed leader steps down after the change commits, handing over to a caught-up voter', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'a' });
    c.stabilize();
    const a = c.raw('a').basicStatus();
    expect(a.role).to.equal('follower');
    expect(c.node('a').events).to.deep.include({ type: 'role-changed', from: 'leader', to: 'follower', term: 1, reason: 'removed' });
    const sentTimeoutNow = c.node('a').readies.some((r) => ofType(sentBy(r), 'timeout-now').length > 0);
    expect(sentTimeoutNow).to.equal(true);
    const leader = c.leader();
    expect(['b', 'c']).to.include(leader);
    expect(c.node(leader as string).confState).to.deep.equal({ voters: ['b', 'c'], learners: [] });
    // the removed node never campaigns again
    c.tick('a', 50);
    expect(c.raw('a').basicStatus().role).to.equal('follower');
  });

  it('a removed leader whose successor lacks entries leads on (lame duck) until the successor catches up', () => {
    // {a, b}: a proposes its own removal and, before applying it, one more entry. b acks the removal but misses
    // the entry: if a stepped down at once, b (still counting a) could never win: a would refuse its vote.
    const c = new TestCluster(['a', 'b'], { config: { preVote: false } });
    c.elect('a');
    c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'a' }); // index 2
    c.processReady('a');
    c.deliver(); // b gets 2
    c.processAll(); // b acks
    c.raw('a').propose('late'); // index 3, proposed before a applies its removal
    c.processReady('a');
    c.take((m) => m.to === 'b'); // 'late' is lost on the way to b
    c.deliver((m) => m.to === 'a'); // b's ack commits 2
    c.processReady('a'); // a applies its removal: now a lame duck
    expect(c.raw('a').basicStatus().role).to.equal('leader');
    expect(() => c.raw('a').propose('more')).to.throw(ProposalDroppedError, /removed/);
    for (let i = 0; i < 5; i++) {
      c.tick('a', 1);
      c.stabilize();
    }
    expect(c.leader()).to.equal('b');
    expect(c.node('b').confState).to.deep.equal({ voters: ['b'], learners: [] });
    expect(c.appliedData('b')).to.deep.equal(['late']);
  });

  it('a removed node holding entries the last voter lacks stands for election (caretaker) and hands over', () => {
    // {a, b}: a proposes its removal and then 'late'; b acks the removal but never learns it committed nor
    // gets 'late'. a, a lame duck cut off from b, steps down by check-quorum. Now b still counts a and needs
    // its vote, which a must refuse (its log is longer). Only a can move: it campaigns under its new
    // configuration {b}, wins b's vote, replicates 'late' and hands over.
    const c = new TestCluster(['a', 'b'], { config: { preVote: false } });
    c.elect('a');
    c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'a' }); // index 2
    c.processReady('a');
    c.deliver();
    c.processAll(); // b has 2 and acks
    c.raw('a').propose('late'); // index 3
    c.processReady('a');
    c.take((m) => m.to === 'b');
    c.deliver((m) => m.to === 'a'); // a commits 2...
    c.isolated.add('b'); // ...but b never hears of it
    c.processAll(); // a applies its removal: lame duck
    c.tick('a', 20); // check-quorum: no one answers, a steps down
    c.processAll();
    c.take();
    expect(c.node('a').events.some((e) => e.type === 'role-changed' && e.from === 'leader' && e.reason === 'check-quorum')).to.equal(true);
    expect(c.node('b').confState.voters).to.deep.equal(['a', 'b']);
    c.isolated.clear();
    c.tick('b', 10); // b campaigns and loses: a refuses (a's log is longer)
    c.stabilize();
    expect(c.raw('b').basicStatus().role).to.equal('follower');
    c.tick('a', 10); // the caretaker campaigns under {b}, and b's vote suffices
    c.stabilize();
    expect(c.node('a').events.some((e) => e.type === 'role-changed' && e.to === 'leader' && e.term > 1)).to.equal(true);
    expect(c.appliedData('b')).to.deep.equal(['late']);
    expect(c.node('b').confState.voters).to.deep.equal(['b']);
    expect(c.leader()).to.equal('b'); // handed over with TimeoutNow
    expect(c.raw('a').basicStatus().role).to.equal('follower');
  });

  it('bootstrap: every initial voter starts with the same committed conf-change entries', () => {
    const ids = ['c', 'a', 'b'];
    const nodes = ids.map((id) => {
      const storage = new MemoryStorage();
      const raw = new RawNode({ id }, storage, minRandom);
      raw.bootstrap(ids);
      return { id, storage, raw, rd: raw.ready() };
    });
    for (const n of nodes) {
      expect(n.rd.entries.map((e) => [e.index, e.term, e.kind, decodeConfChange(e.data)])).to.deep.equal([
        [1, 1, 'conf-change', { type: 'add-voter', nodeId: 'a' }],
        [2, 1, 'conf-change', { type: 'add-voter', nodeId: 'b' }],
        [3, 1, 'conf-change', { type: 'add-voter', nodeId: 'c' }],
      ]);
      expect(n.rd.hardState).to.deep.equal({ term: 1, vote: null, commit: 3 });
      expect(n.rd.committedEntries).to.deep.equal(n.rd.entries);
      expect(n.raw.status().confState.voters).to.deep.equal(['a', 'b', 'c']);
    }
    expect(encodeConfChange({ nodeId: 'x', type: 'add-learner' } as never)).to.equal('{"type":"add-learner","nodeId":"x"}');
    expect(() => nodes[0].raw.bootstrap(ids)).to.throw(RaftArgumentError, /not empty/);
  });

  it('applyConfChange is idempotent: re-applying after a restart changes nothing', () => {
    const c = new TestCluster(['a', 'b']);
    const before = c.raw('a').status().confState;
    expect(c.raw('a').applyConfChange({ type: 'add-voter', nodeId: 'b' })).to.deep.equal(before);
    expect(c.raw('a').applyConfChange({ type: 'remove-node', nodeId: 'zz' })).to.deep.equal(before);
  });
});
