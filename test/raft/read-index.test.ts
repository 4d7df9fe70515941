import { expect } from 'chai';
import { NotLeaderError } from '../../src/raft/index.js';
import { TestCluster, ofType, sentBy } from './raft-test-cluster.js';

describe('raft: ReadIndex linearizable reads (thesis §6.4)', () => {
  it('ReadIndex waits for a current-term commit before it is even confirmed', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.raw('a').campaign();
    for (let i = 0; i < 4; i++) {
      c.processAll();
      c.deliver((m) => m.type !== 'app'); // elected, but the no-op is not replicated yet
    }
    expect(c.raw('a').basicStatus()).to.include({ role: 'leader', commit: 0 });
    c.raw('a').readIndex('r1');
    c.processAll();
    expect(ofType(c.inFlight, 'heartbeat').filter((m) => m.context === 'r1')).to.deep.equal([]);
    expect(c.node('a').readStates).to.deep.equal([]);
    expect(c.raw('a').status().pendingReads).to.equal(1);
    c.stabilize(); // the no-op commits, the read is released, confirmed and answered
    expect(c.node('a').readStates).to.deep.equal([{ index: 1, requestCtx: 'r1' }]);
  });

  it('ReadIndex is answered once a quorum echoes the heartbeat carrying its context', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.raw('a').readIndex('r1');
    const rd = c.processReady('a');
    const hbs = ofType(sentBy(rd), 'heartbeat');
    expect(hbs.map((m) => [m.to, m.context])).to.deep.equal([
      ['b', 'r1'],
      ['c', 'r1'],
    ]);
    expect(rd?.readStates).to.deep.equal([]);
    c.deliver((m) => m.to === 'b');
    c.processReady('b');
    c.deliver((m) => m.to === 'a'); // b's echo + the leader's own ack: 2 of 3
    const rd2 = c.processReady('a');
    expect(rd2?.readStates).to.deep.equal([{ index: 2, requestCtx: 'r1' }]);
  });

  it('ReadIndex: reads requested before one heartbeat round share it', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.raw('a').readIndex('r1');
    c.raw('a').readIndex('r2');
    c.raw('a').readIndex('r3');
    const rd = c.processReady('a');
    expect(ofType(sentBy(rd), 'heartbeat').map((m) => [m.to, m.context])).to.deep.equal([
      ['b', 'r3'],
      ['c', 'r3'],
    ]);
    c.stabilize();
    expect(c.node('a').readStates.map((r) => r.requestCtx)).to.deep.equal(['r1', 'r2', 'r3']);
  });

  it('ReadIndex: a partitioned leader never answers (only a minority echoes)', () => {
    const c = new TestCluster(['a', 'b', 'c', 'd', 'e']);
    c.elect('a');
    c.isolated.add('c');
    c.isolated.add('d');
    c.isolated.add('e');
    c.raw('a').readIndex('r1');
    for (let i = 0; i < 5; i++) {
      c.tick('a', 1);
      c.stabilize();
    }
    expect(c.node('a').readStates).to.deep.equal([]);
  });

  it('ReadIndex: a single voter answers at once with its commit index (after its first commit)', () => {
    const c = new TestCluster(['a']);
    c.raw('a').campaign();
    c.processAll();
    c.proposeAndCommit('a', 'x');
    c.raw('a').readIndex('r1');
    const rd = c.raw('a').ready();
    expect(rd.readStates).to.deep.equal([{ index: 2, requestCtx: 'r1' }]);
    expect(sentBy(rd)).to.deep.equal([]);
    c.raw('a').advance(rd);
  });

  it('readIndex on a follower throws NotLeaderError', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    expect(() => c.raw('b').readIndex('r')).to.throw(NotLeaderError).with.property('leaderId', 'a');
  });

  it('reads pending when the leader steps down are aborted in an event (never answered later)', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolated.add('b');
    c.isolated.add('c');
    c.raw('a').readIndex('r1');
    c.tick('a', 20); // check-quorum deposes it
    const rd = c.processReady('a');
    expect(rd?.events).to.deep.include({ type: 'reads-aborted', requestCtxs: ['r1'], term: 1 });
    c.isolated.clear();
    c.stabilize();
    expect(c.node('a').readStates).to.deep.equal([]);
  });
});
