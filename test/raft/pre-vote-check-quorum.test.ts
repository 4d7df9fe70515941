import { expect } from 'chai';
import { TestCluster, ofType, sentBy } from './raft-test-cluster.js';

describe('raft: pre-vote (thesis §9.6)', () => {
  it('pre-vote: a pre-candidate asks for term+1 without raising its own term or voting', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.tick('a', 10);
    const st = c.raw('a').basicStatus();
    expect(st.role).to.equal('pre-candidate');
    expect(st.term).to.equal(0);
    expect(st.vote).to.equal(null);
    const rd = c.processReady('a');
    expect(rd?.hardState).to.equal(undefined); // nothing to persist: a pre-vote leaves no trace
    expect(ofType(sentBy(rd), 'pre-vote').map((m) => [m.to, m.term])).to.deep.equal([
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('pre-vote: a voter grants a pre-vote for a future term without recording a vote or changing its term', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.tick('a', 10);
    c.processReady('a');
    c.deliver((m) => m.to === 'b');
    expect(c.raw('b').basicStatus()).to.include({ term: 0, vote: null });
    const rd = c.processReady('b');
    expect(rd?.hardState).to.equal(undefined);
    expect(ofType(sentBy(rd), 'pre-vote-resp').map((m) => [m.to, m.term, m.reject])).to.deep.equal([['a', 1, false]]);
  });

  it('pre-vote: winning the pre-vote starts the real election', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.tick('a', 10);
    c.stabilize();
    expect(c.leader()).to.equal('a');
    expect(c.raw('a').basicStatus().term).to.equal(1);
  });

  it('pre-vote: a partitioned node rejoining does not disrupt the leader', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.isolated.add('c');
    // c times out again and again while cut off: its pre-votes go nowhere, and its term stays put.
    for (let i = 0; i < 5; i++) {
      c.tick('c', 20);
      c.processAll();
      c.take((m) => m.from === 'c' || m.to === 'c');
    }
    expect(c.raw('c').basicStatus().term).to.equal(1);
    expect(c.raw('c').basicStatus().role).to.equal('pre-candidate');
    c.isolated.delete('c');
    // Back in touch: its pre-vote is refused (the others are in a leader lease) and the leader's
    // heartbeats bring it back as a follower; the leader is never deposed.
    c.tick('c', 20);
    c.tick('a', 2); // (the first round skips c: appends went out to it and it answered since the last one)
    c.stabilize();
    expect(c.leader()).to.equal('a');
    expect(c.raw('a').basicStatus().term).to.equal(1);
    expect(c.raw('c').basicStatus()).to.include({ role: 'follower', leaderId: 'a', term: 1 });
  });

  it('pre-vote: without pre-vote, the same rejoining node deposes the leader (the disruption pre-vote prevents)', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false, checkQuorum: false } });
    c.elect('a');
    c.isolated.add('c');
    c.tick('c', 10);
    c.processAll();
    c.take((m) => m.from === 'c' || m.to === 'c');
    expect(c.raw('c').basicStatus().term).to.equal(2);
    c.isolated.delete('c');
    c.tick('c', 10); // c campaigns again, now heard: its higher term deposes the leader
    c.stabilize();
    expect(c.raw('a').basicStatus().term).to.equal(3);
    expect(c.raw('a').basicStatus().role).to.not.equal('leader');
  });

  it('pre-vote: a node with a stale log cannot win the pre-vote', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('c');
    c.proposeAndCommit('a', 'x');
    c.isolated.delete('c');
    // Let the lease lapse everywhere (a dies), then c (stale) and b (current) both time out; c's pre-vote fails.
    c.isolated.add('a');
    c.tick('b', 11); // b is past its lease (leaderless long enough)...
    c.take();
    c.tick('c', 10); // ...and c pre-campaigns
    c.processReady('c');
    c.deliver((m) => m.to === 'b');
    const resp = ofType(sentBy(c.processReady('b')), 'pre-vote-resp');
    expect(resp.map((m) => [m.to, m.reject])).to.deep.equal([['c', true]]);
  });
});

describe('raft: check-quorum and leader lease (thesis §6.2, §4.2.3)', () => {
  it('check-quorum: a leader without a quorum steps down after an election timeout', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('b');
    c.isolated.add('c');
    c.tick('a', 10); // first round: everyone was active during the election
    expect(c.raw('a').basicStatus().role).to.equal('leader');
    c.processAll();
    c.deliver();
    c.tick('a', 10); // second round: no one answered
    expect(c.raw('a').basicStatus()).to.include({ role: 'follower', leaderId: null, term: 1 });
    const rd = c.processReady('a');
    expect(rd?.events).to.deep.include({ type: 'role-changed', from: 'leader', to: 'follower', term: 1, reason: 'check-quorum' });
  });

  it('check-quorum: a leader that hears from a quorum stays leader', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('c');
    for (let i = 0; i < 5; i++) {
      c.tick('a', 5);
      c.stabilize();
    }
    expect(c.raw('a').basicStatus().role).to.equal('leader');
  });

  it('check-quorum: leader lease — a follower that heard from the leader ignores vote requests', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false } });
    c.elect('a');
    c.stepOne({ type: 'vote', from: 'c', to: 'b', term: 5, index: 99, logTerm: 99, isLeaderTransfer: false });
    expect(c.raw('b').basicStatus()).to.include({ term: 1, leaderId: 'a' });
    // no term change, no answer: only the refusal is recorded (for ccm explain core)
    const rd = c.processReady('b');
    expect(rd?.hardState).to.equal(undefined);
    expect(sentBy(rd)).to.deep.equal([]);
    expect(rd?.events).to.deep.equal([{ type: 'vote-refused', candidate: 'c', term: 5, preVote: false, reason: 'leader-lease', other: 'a' }]);
  });

  it('check-quorum: once the lease lapses (no leader for an election timeout), the vote is granted', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false } });
    c.elect('a');
    c.isolated.add('a');
    c.tick('b', 9); // still below b's randomized timeout (10), but past the lease? no: lease is electionTicks
    c.stepOne({ type: 'vote', from: 'c', to: 'b', term: 5, index: 99, logTerm: 99, isLeaderTransfer: false });
    expect(c.raw('b').basicStatus().term).to.equal(1);
    c.tick('b', 1); // electionElapsed reaches 10 and b campaigns itself (term 2) since its timeout is 10 too
    c.take();
    c.stepOne({ type: 'vote', from: 'c', to: 'b', term: 5, index: 99, logTerm: 99, isLeaderTransfer: false });
    expect(c.raw('b').basicStatus()).to.include({ term: 5, vote: 'c' });
  });

  it('check-quorum: a vote forced by leader transfer bypasses the lease', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false } });
    c.elect('a');
    c.stepOne({ type: 'vote', from: 'c', to: 'b', term: 2, index: 1, logTerm: 1, isLeaderTransfer: true });
    expect(c.raw('b').basicStatus()).to.include({ term: 2, vote: 'c' });
  });

  it('check-quorum: a leader at a stale term learns the new term from a follower and steps down', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('a');
    c.tick('c', 11); // c's lease lapses (it grants pre-votes again)...
    c.processAll();
    c.take(); // (its own pre-votes are lost)
    c.tick('b', 10); // ...and b campaigns
    c.stabilize(); // b wins term 2 with c's vote
    const newLeader = c.leader();
    expect(newLeader).to.not.equal('a');
    c.isolated.delete('a');
    c.tick('a', 2); // a (still leader in its mind) heartbeats at term 1 (its first round skips the followers it just replicated to)
    c.processReady('a');
    c.deliver((m) => m.from === 'a');
    c.processAll();
    c.deliver((m) => m.to === 'a');
    expect(c.raw('a').basicStatus()).to.include({ role: 'follower', term: 2 });
  });
});
