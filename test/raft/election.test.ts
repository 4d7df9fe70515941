import { expect } from 'chai';
import { MemoryStorage, RawNode, type VoteMessage } from '../../src/raft/index.js';
import { SeededRandom } from '../../src/random/random.js';
import { TestCluster, maxRandom, minRandom, ofType, sentBy } from './raft-test-cluster.js';

/** Plain Raft of the paper: no pre-vote, no check-quorum lease. */
const noPreVote = { config: { preVote: false, checkQuorum: false } };

describe('raft: leader election (Raft §5.2)', () => {
  it('Raft §5.2: a follower campaigns after its election timeout, voting for itself in a new term', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.tick('a', 9);
    expect(c.raw('a').basicStatus().role).to.equal('follower');
    expect(sentBy(c.processReady('a'))).to.deep.equal([]);
    c.tick('a', 1);
    const rd = c.processReady('a');
    expect(rd?.hardState).to.deep.equal({ term: 1, vote: 'a', commit: 0 });
    expect(rd?.softState).to.deep.equal({ leaderId: null, role: 'candidate' });
    const votes = ofType(sentBy(rd), 'vote');
    expect(votes.map((m) => [m.to, m.term, m.index, m.logTerm, m.isLeaderTransfer])).to.deep.equal([
      ['b', 1, 0, 0, false],
      ['c', 1, 0, 0, false],
    ]);
  });

  it('Raft §5.2: a candidate that wins a majority becomes leader and appends an empty no-op of its term (§8)', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.raw('a').campaign();
    c.processReady('a');
    c.deliver((m) => m.to === 'b'); // only b hears: a has 2 of 3
    c.processReady('b');
    const grants = ofType(c.inFlight, 'vote-resp');
    expect(grants.map((m) => [m.from, m.reject])).to.deep.equal([['b', false]]);
    c.deliver((m) => m.type === 'vote-resp');
    const st = c.raw('a').basicStatus();
    expect(st.role).to.equal('leader');
    expect(st.leaderId).to.equal('a');
    const rd = c.processReady('a');
    expect(rd?.entries).to.deep.equal([{ index: 1, term: 1, kind: 'normal', data: '' }]);
    expect(rd?.events.map((e) => e.type)).to.include('role-changed');
  });

  it('Raft §5.2: a node grants at most one vote per term, first come first served', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.raw('a').campaign();
    c.raw('c').campaign();
    c.processReady('a');
    c.processReady('c');
    c.deliver((m) => m.to === 'b' && m.from === 'a');
    c.deliver((m) => m.to === 'b' && m.from === 'c');
    c.processReady('b');
    const answers = ofType(c.inFlight, 'vote-resp').filter((m) => m.from === 'b');
    expect(answers.map((m) => [m.to, m.reject])).to.deep.equal([
      ['a', false],
      ['c', true],
    ]);
    expect(c.node('b').storage.getHardState().vote).to.equal('a');
  });

  it('Raft §5.4.1: a voter rejects a candidate whose log is less up to date', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    // c missed nothing; now b falls behind: isolate it while a commits more
    c.isolated.add('b');
    c.proposeAndCommit('a', 'y');
    c.isolated.delete('b');
    c.raw('b').campaign(); // term 2, last index 2 (no-op + x) vs c's 3
    c.processReady('b');
    c.deliver((m) => m.to === 'c');
    c.processReady('c');
    const resp = ofType(c.inFlight, 'vote-resp').find((m) => m.from === 'c');
    expect(resp?.reject).to.equal(true);
    expect(c.raw('c').basicStatus().vote).to.equal(null);
  });

  it('Raft §5.2: a candidate that a majority rejects returns to follower', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.isolated.add('c');
    c.proposeAndCommit('a', 'y');
    c.isolated.delete('c');
    c.raw('c').campaign();
    c.processReady('c');
    c.deliver((m) => m.from === 'c');
    c.processAll();
    c.deliver((m) => m.to === 'c' && m.type === 'vote-resp');
    expect(c.raw('c').basicStatus().role).to.equal('follower');
  });

  it('Raft §5.1: a leader that sees a higher term steps down to follower', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.elect('a');
    c.raw('b').campaign(); // term 2; b's log is as up to date as a's
    c.processReady('b');
    c.deliver((m) => m.to === 'a');
    const st = c.raw('a').basicStatus();
    expect(st.role).to.equal('follower');
    expect(st.term).to.equal(2);
  });

  it('Raft §5.1: messages of an older term are ignored, and their sender is told the current term', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a'); // term 1
    const before = c.raw('c').basicStatus();
    c.stepOne({ type: 'heartbeat', from: 'b', to: 'c', term: 0, commit: 0, context: '' });
    c.stepOne({ type: 'vote', from: 'b', to: 'c', term: 0, index: 9, logTerm: 9, isLeaderTransfer: false });
    expect(c.raw('c').basicStatus()).to.deep.equal(before);
    const rd = c.processReady('c');
    // Both are answered with our term: a deposed leader steps down, and a stale candidate is refused (Figure 2's
    // RequestVote reply carries currentTerm), so it can campaign above our term next time.
    expect(sentBy(rd).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined])).to.deep.equal([
      ['app-resp', 'b', 1, false],
      ['vote-resp', 'b', 1, true],
    ]);
  });

  it('Raft §5.2: a single voter elects itself at once', () => {
    const c = new TestCluster(['a']);
    c.raw('a').campaign();
    expect(c.raw('a').basicStatus().role).to.equal('leader');
    const rd = c.processReady('a');
    expect(rd?.hardState).to.deep.equal({ term: 1, vote: 'a', commit: 0 });
    expect(sentBy(rd)).to.deep.equal([]);
  });

  it('Raft §5.2: randomized election timeouts lie in [electionTicks, 2*electionTicks)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const storage = new MemoryStorage({ voters: ['a', 'b', 'c'], learners: [] });
      const node = new RawNode({ id: 'a', electionTicks: 10, preVote: false }, storage, new SeededRandom(seed));
      let ticks = 0;
      while (node.basicStatus().role === 'follower') {
        node.tick();
        ticks++;
        if (ticks > 100) throw new Error('never campaigned');
      }
      seen.add(ticks);
    }
    expect(Math.min(...seen)).to.be.at.least(10);
    expect(Math.max(...seen)).to.be.at.most(19);
    expect(seen.size).to.be.above(5); // actually randomized
  });

  it('Raft §5.2: the extremes of the injected Random give timeouts of exactly electionTicks and 2*electionTicks-1', () => {
    for (const [random, want] of [
      [minRandom, 10],
      [maxRandom, 19],
    ] as const) {
      const node = new RawNode({ id: 'a', electionTicks: 10, preVote: false }, new MemoryStorage({ voters: ['a', 'b'], learners: [] }), random);
      let ticks = 0;
      while (node.basicStatus().role === 'follower') {
        node.tick();
        ticks++;
      }
      expect(ticks).to.equal(want);
    }
  });

  it('persist-then-send: a vote grant leaves in the same Ready as the hard state recording it', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.raw('a').campaign();
    c.processReady('a');
    c.deliver((m) => m.to === 'b');
    const rd = c.raw('b').ready();
    expect(rd.hardState).to.deep.equal({ term: 1, vote: 'a', commit: 0 });
    expect(ofType(sentBy(rd), 'vote-resp')[0].reject).to.equal(false);
    c.raw('b').advance(rd);
  });

  it('Raft §5.2: a restarted node keeps its term and vote, and does not vote again in that term', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.raw('a').campaign();
    c.processReady('a');
    c.deliver((m) => m.to === 'b');
    c.processReady('b'); // b voted for a in term 1, durably
    c.take();
    c.restart('b');
    expect(c.raw('b').basicStatus()).to.include({ term: 1, vote: 'a' });
    const req: VoteMessage = { type: 'vote', from: 'c', to: 'b', term: 1, index: 0, logTerm: 0, isLeaderTransfer: false };
    c.stepOne(req);
    const resp = ofType(sentBy(c.processReady('b')), 'vote-resp');
    expect(resp.map((m) => [m.to, m.reject])).to.deep.equal([['c', true]]);
  });

  it('Raft §5.2 (Figure 2): refusing a higher-term vote does not restart the election timer', () => {
    const c = new TestCluster(['a', 'b', 'c'], noPreVote);
    c.elect('a');
    c.isolated.add('a'); // the leader is gone
    c.tick('b', 8);
    // a stale candidate (empty log) asks b for its vote in a higher term: b adopts the term but refuses...
    c.stepOne({ type: 'vote', from: 'c', to: 'b', term: 5, index: 0, logTerm: 0, isLeaderTransfer: false });
    expect(c.raw('b').basicStatus()).to.include({ term: 5, vote: null, role: 'follower' });
    // ...and still times out on schedule (2 more ticks), instead of waiting a whole new timeout
    c.tick('b', 2);
    expect(c.raw('b').basicStatus().role).to.equal('candidate');
  });

  it('campaign() on a non-voter does nothing', () => {
    const c = new TestCluster(['a', 'b', 'l'], { voters: ['a', 'b'], learners: ['l'] });
    c.raw('l').campaign();
    c.tick('l', 100);
    expect(c.raw('l').basicStatus().role).to.equal('follower');
    expect(c.processReady('l')).to.equal(undefined);
  });
});
