import { expect } from 'chai';
import { TestCluster } from './raft-test-cluster.js';
import type { Message } from '../../src/raft/index.js';

describe('raft: RawNode surface', () => {
  it('step() ignores messages addressed to another node, and responses from nodes outside the configuration', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const before = c.raw('a').status();
    c.raw('a').step({ type: 'app-resp', from: 'b', to: 'zz', term: 1, index: 99, reject: false, rejectHint: 0, logTerm: 0 });
    c.raw('a').step({ type: 'app-resp', from: 'stranger', to: 'a', term: 5, index: 99, reject: false, rejectHint: 0, logTerm: 0 });
    c.raw('a').step({ type: 'heartbeat-resp', from: 'stranger', to: 'a', term: 1, context: '' });
    expect(c.raw('a').status()).to.deep.equal(before); // not even the higher term of the stranger's response
    expect(c.raw('a').hasReady()).to.equal(false);
  });

  it('status(): per-peer progress on the leader only; configuration everywhere', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    const st = c.raw('a').status();
    expect(st).to.include({ id: 'a', role: 'leader', term: 1, leaderId: 'a', commit: 2, applied: 2, lastIndex: 2, firstIndex: 1, leadTransferee: null });
    expect(st.confState).to.deep.equal({ voters: ['a', 'b', 'c'], learners: [] });
    expect(Object.keys(st.progress)).to.deep.equal(['a', 'b', 'c']);
    expect(st.progress.b).to.include({ match: 2, next: 3, state: 'replicate', recentActive: true });
    expect(c.raw('b').status().progress).to.deep.equal({});
  });

  it('events and soft state: one leader-changed per real change, soft state only when it changed', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const b = c.node('b');
    expect(b.events.filter((e) => e.type === 'leader-changed')).to.deep.equal([{ type: 'leader-changed', from: null, to: 'a', term: 1 }]);
    const softStates = b.readies.map((r) => r.softState).filter((s) => s !== undefined);
    expect(softStates).to.deep.equal([{ leaderId: 'a', role: 'follower' }]);
    c.proposeAndCommit('a', 'x');
    expect(b.readies.at(-1)?.softState).to.equal(undefined);
  });

  it('a crash before persisting loses the unstable entries, and nothing was acknowledged for them', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.raw('a').propose('x');
    c.processReady('a');
    c.deliver((m) => m.to === 'b'); // b has 'x' unstable: not yet persisted, no ack sent
    expect(c.raw('b').basicStatus().lastIndex).to.equal(2);
    c.restart('b');
    expect(c.raw('b').basicStatus().lastIndex).to.equal(1);
    expect(c.inFlight.filter((m) => m.from === 'b')).to.deep.equal([]);
    c.tick('a', 2);
    c.stabilize(); // the leader repairs b from its own log
    expect(c.appliedData('b')).to.deep.equal(['x']);
  });

  it('Ready splits its messages: what a leader sends may leave before its own write; acks and votes wait for theirs (thesis §10.2.1, §3.8)', () => {
    const kinds = (ms: Message[]): string[] => [...new Set(ms.map((m) => `${m.type} ${m.from}->${m.to}`))].sort();
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: true } });
    c.raw('a').campaign();
    let rd = c.processReady('a');
    expect(kinds(rd?.immediateMessages ?? [])).to.deep.equal(['pre-vote a->b', 'pre-vote a->c']); // changes nothing on disk
    c.deliver();
    rd = c.processReady('b');
    expect(kinds(rd?.messagesAfterPersist ?? [])).to.deep.equal(['pre-vote-resp b->a']);
    c.processAll();
    c.deliver();
    rd = c.processReady('a'); // a won the pre-vote: term 1, its own vote, to disk before it asks
    expect(rd?.hardState).to.deep.include({ term: 1, vote: 'a' });
    expect(kinds(rd?.immediateMessages ?? [])).to.deep.equal([]);
    expect(kinds(rd?.messagesAfterPersist ?? [])).to.deep.equal(['vote a->b', 'vote a->c']);
    c.deliver();
    rd = c.processReady('b');
    expect(kinds(rd?.messagesAfterPersist ?? [])).to.deep.equal(['vote-resp b->a']);
    c.processAll();
    c.deliver();
    rd = c.processReady('a'); // leader: its no-op goes out with the appends while it writes its own copy
    expect(rd?.entries.length).to.equal(1);
    expect(kinds(rd?.immediateMessages ?? [])).to.deep.equal(['app a->b', 'app a->c']);
    expect(rd?.messagesAfterPersist).to.deep.equal([]);
    c.deliver((m) => m.to === 'b');
    rd = c.processReady('b');
    expect(kinds(rd?.messagesAfterPersist ?? [])).to.deep.equal(['app-resp b->a']);
    c.stabilize();
    c.tick('a', 2); // the first round skips followers that got appends and answered since the last one
    rd = c.processReady('a');
    expect(kinds(rd?.immediateMessages ?? [])).to.deep.equal(['heartbeat a->b', 'heartbeat a->c']);
    c.deliver();
    rd = c.processReady('b');
    expect(kinds(rd?.immediateMessages ?? [])).to.deep.equal(['heartbeat-resp b->a']);
  });

  it('the leader counts its own copy of an entry only once it is written, so a commit rests on a durable quorum', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const { index } = c.raw('a').propose('x');
    const rd = c.raw('a').ready(); // taken, not yet written: the appends leave now
    for (const m of rd.immediateMessages) c.inFlight.push(m);
    c.deliver((m) => m.to === 'b');
    c.processReady('b');
    c.deliver((m) => m.to === 'a'); // b's ack: a and b make a quorum, but a has not written its copy
    expect(c.raw('a').basicStatus().commit).to.be.below(index);
    c.node('a').storage.append(rd.entries);
    c.raw('a').advance(rd);
    expect(c.raw('a').basicStatus().commit).to.equal(index);
  });
});
