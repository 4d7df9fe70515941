import { expect } from 'chai';
import { Inflights } from '../../src/raft/inflights.js';
import { Progress } from '../../src/raft/progress.js';
import { committedIndex, voteResult } from '../../src/raft/quorum.js';
import { ReadOnly } from '../../src/raft/read-only.js';

describe('raft: progress, flow control and quorums', () => {
  it('Inflights: a ring buffer freed by acknowledgement, full at capacity', () => {
    const inf = new Inflights(3);
    inf.add(5, 10);
    inf.add(9, 20);
    inf.add(12, 30);
    expect([inf.full(), inf.count, inf.bytes]).to.deep.equal([true, 3, 60]);
    expect(() => inf.add(13, 1)).to.throw(/full/);
    inf.freeLE(9);
    expect([inf.full(), inf.count, inf.bytes]).to.deep.equal([false, 1, 30]);
    inf.add(15, 1);
    inf.add(20, 1); // wraps around
    inf.freeLE(100);
    expect([inf.count, inf.bytes]).to.deep.equal([0, 0]);
  });

  it('Inflights: with a byte limit, full once the bytes in flight reach it (etcd MaxInflightBytes)', () => {
    const inf = new Inflights(100, 1000);
    inf.add(1, 600);
    expect(inf.full()).to.equal(false);
    inf.add(2, 600); // one message may overshoot: the limit pauses the next, as etcd's
    expect([inf.full(), inf.count, inf.bytes]).to.deep.equal([true, 2, 1200]);
    inf.freeLE(1);
    expect([inf.full(), inf.bytes]).to.deep.equal([false, 600]);
    expect(new Inflights(100).full()).to.equal(false); // 0 = no byte limit
  });

  it('Progress: probe sends one append at a time; replicate pipelines up to the window', () => {
    const pr = new Progress(11, 2, false);
    pr.sentEntries(3, 30);
    expect(pr.isPaused()).to.equal(true); // probe: wait for the answer
    expect(pr.maybeUpdate(13)).to.equal(true);
    pr.becomeReplicate();
    expect([pr.next, pr.isPaused()]).to.deep.equal([14, false]);
    pr.sentEntries(2, 10);
    pr.sentEntries(2, 10);
    expect([pr.next, pr.isPaused(), pr.inflights.count]).to.deep.equal([18, true, 2]);
    expect(pr.maybeUpdate(15)).to.equal(true);
    pr.inflights.freeLE(15);
    expect(pr.isPaused()).to.equal(false);
  });

  it('Progress: stale rejections are ignored; a probe rejection jumps to the follower hint', () => {
    const pr = new Progress(21, 4, false);
    pr.match = 5;
    expect(pr.maybeDecrTo(15, 9)).to.equal(false); // not the probe we sent (next-1 = 20)
    expect(pr.maybeDecrTo(20, 9)).to.equal(true);
    expect(pr.next).to.equal(10);
    pr.becomeReplicate();
    pr.next = 30;
    expect(pr.maybeDecrTo(4, 0)).to.equal(false); // below match: stale
    expect(pr.maybeDecrTo(25, 0)).to.equal(true);
    expect(pr.next).to.equal(6);
  });

  it('Progress: after a snapshot, probing starts past it', () => {
    const pr = new Progress(3, 4, false);
    pr.becomeSnapshot(50);
    expect(pr.isPaused()).to.equal(true);
    pr.becomeProbe();
    expect([pr.state, pr.next]).to.deep.equal(['probe', 51]);
  });

  it('quorum: the committed index is the highest one a majority holds', () => {
    const voters = new Set(['a', 'b', 'c', 'd', 'e']);
    const match: Record<string, number> = { a: 9, b: 7, c: 5, d: 3, e: 1 };
    expect(committedIndex(voters, (id) => match[id])).to.equal(5);
    expect(committedIndex(new Set(['a', 'b']), (id) => match[id])).to.equal(7);
  });

  it('quorum: vote tallies are won, lost or pending', () => {
    const voters = new Set(['a', 'b', 'c']);
    expect(voteResult(voters, new Map([['a', true]]))).to.equal('pending');
    expect(voteResult(voters, new Map([['a', true], ['b', true]]))).to.equal('won');
    expect(voteResult(voters, new Map([['a', true], ['b', false], ['c', false]]))).to.equal('lost');
    expect(voteResult(voters, new Map([['x', true], ['y', true], ['a', true]]))).to.equal('pending'); // non-voters do not count
  });

  it('ReadOnly: one acknowledged context releases every read queued up to it, in order', () => {
    const ro = new ReadOnly();
    ro.addRequest(3, 'r1', 'a');
    ro.addRequest(4, 'r2', 'a');
    ro.addRequest(6, 'r3', 'a');
    expect(ro.lastPendingRequestCtx()).to.equal('r3');
    expect(ro.advance('r2')).to.deep.equal([
      { requestCtx: 'r1', index: 3 },
      { requestCtx: 'r2', index: 4 },
    ]);
    expect(ro.recvAck('b', 'r1')).to.equal(undefined);
    expect(ro.clear()).to.deep.equal(['r3']);
  });
});
