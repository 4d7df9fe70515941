import { expect } from 'chai';
import { NotLeaderError, ProposalDroppedError, RaftArgumentError } from '../../src/raft/index.js';
import { TestCluster, ofType, sentBy } from './raft-test-cluster.js';

describe('raft: leader transfer (thesis §3.10)', () => {
  it('leader transfer: an up-to-date target gets TimeoutNow at once and wins the next term', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.raw('a').transferLeader('b');
    const rd = c.processReady('a');
    expect(sentBy(rd).map((m) => [m.type, m.to])).to.deep.equal([['timeout-now', 'b']]);
    expect(rd?.events).to.deep.include({ type: 'transfer-started', to: 'b', term: 1 });
    c.stabilize();
    expect(c.leader()).to.equal('b');
    expect(c.raw('b').basicStatus().term).to.equal(2);
    // the vote requests were marked as forced, so leases did not stop them
    const votes = c.node('b').readies.flatMap((r) => ofType(sentBy(r), 'vote'));
    expect(votes.every((m) => m.isLeaderTransfer)).to.equal(true);
  });

  it('leader transfer: a lagging target is caught up first, then gets TimeoutNow', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('c');
    c.proposeAndCommit('a', 'x');
    c.isolated.delete('c');
    c.raw('a').transferLeader('c');
    const rd = c.processReady('a');
    expect(ofType(sentBy(rd), 'timeout-now')).to.deep.equal([]);
    c.stabilize();
    expect(c.leader()).to.equal('c');
    expect(c.appliedData('c')).to.deep.equal(['x']);
  });

  it('leader transfer: proposals are dropped while it runs', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('b');
    c.raw('a').transferLeader('b');
    expect(() => c.raw('a').propose('x')).to.throw(ProposalDroppedError, /transfer to b/);
  });

  it('leader transfer: aborted after an election timeout if the target never takes over', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('b');
    c.raw('a').transferLeader('b');
    for (let i = 0; i < 10; i++) {
      c.tick('a', 1);
      c.stabilize();
    }
    expect(c.raw('a').basicStatus()).to.include({ role: 'leader', leadTransferee: null });
    expect(c.node('a').events).to.deep.include({ type: 'transfer-aborted', to: 'b', term: 1, reason: 'timeout' });
    expect(c.raw('a').propose('x').index).to.equal(2);
  });

  it('leader transfer: only to a voter, only from the leader', () => {
    const c = new TestCluster(['a', 'b', 'l'], { voters: ['a', 'b'], learners: ['l'] });
    c.elect('a');
    expect(() => c.raw('a').transferLeader('l')).to.throw(RaftArgumentError, /not a voter/);
    expect(() => c.raw('a').transferLeader('zz')).to.throw(RaftArgumentError);
    expect(() => c.raw('b').transferLeader('a')).to.throw(NotLeaderError);
    c.raw('a').transferLeader('a'); // already the leader: nothing happens
    expect(c.raw('a').basicStatus().leadTransferee).to.equal(null);
  });
});
