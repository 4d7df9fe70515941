import { expect } from 'chai';
import { MemoryStorage, NotLeaderError, ProposalDroppedError, RawNode, type AppendMessage, type Entry } from '../../src/raft/index.js';
import { TestCluster, minRandom, ofType, sentBy } from './raft-test-cluster.js';

/** A storage for `voters` holding one entry per given term (index 1, 2, ...) and hard state at `term`, commit 1. */
function storageWith(voters: string[], term: number, terms: number[]): MemoryStorage {
  const s = new MemoryStorage({ voters, learners: [] });
  s.append(terms.map((t, i) => ({ index: i + 1, term: t, kind: 'normal' as const, data: i === 0 ? '' : `${t}-${i + 1}` })));
  s.setHardState({ term, vote: null, commit: 1 });
  return s;
}

describe('raft: log replication (Raft §5.3, §5.4)', () => {
  it('Raft §5.3: the leader commits an entry once a majority has it durable, then followers learn the commit', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const { index, term } = c.raw('a').propose('x');
    expect([index, term]).to.deep.equal([2, 1]);
    const rd = c.processReady('a');
    const apps = ofType(sentBy(rd), 'app');
    expect(apps.map((m) => [m.to, m.index, m.logTerm, m.entries.map((e) => e.data), m.commit])).to.deep.equal([
      ['b', 1, 1, ['x'], 1],
      ['c', 1, 1, ['x'], 1],
    ]);
    expect(c.raw('a').basicStatus().commit).to.equal(1); // its own copy alone is no majority
    c.deliver((m) => m.to === 'b');
    c.processReady('b');
    c.deliver((m) => m.to === 'a');
    expect(c.raw('a').basicStatus().commit).to.equal(2);
    const rdA = c.processReady('a');
    expect(rdA?.committedEntries.map((e) => e.data)).to.deep.equal(['x']);
    // the new commit index goes out to both followers
    expect(ofType(sentBy(rdA), 'app').map((m) => [m.to, m.commit])).to.deep.equal([
      ['b', 2],
      ['c', 2],
    ]);
    c.stabilize();
    expect(c.appliedData('c')).to.deep.equal(['x']);
  });

  it('persist-then-send: a single-voter leader commits only after its entry is durable (advance)', () => {
    const c = new TestCluster(['a']);
    c.raw('a').campaign();
    c.processReady('a'); // the no-op is persisted...
    c.processReady('a'); // ...then committed and applied
    c.raw('a').propose('x');
    const rd = c.raw('a').ready();
    expect(rd.entries.map((e) => e.data)).to.deep.equal(['x']);
    expect(rd.committedEntries).to.deep.equal([]);
    expect(c.raw('a').basicStatus().commit).to.equal(1);
    c.node('a').storage.append(rd.entries);
    c.raw('a').advance(rd);
    expect(c.raw('a').basicStatus().commit).to.equal(2);
    expect(c.raw('a').ready().committedEntries.map((e) => e.data)).to.deep.equal(['x']);
  });

  it('persist-then-send: an append acknowledgement leaves in the Ready that persists the entries', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.raw('a').propose('x');
    c.processReady('a');
    c.deliver((m) => m.to === 'b');
    const rd = c.raw('b').ready();
    expect(rd.entries.map((e) => e.data)).to.deep.equal(['x']);
    expect(ofType(sentBy(rd), 'app-resp').map((m) => [m.index, m.reject])).to.deep.equal([[2, false]]);
    c.raw('b').advance(rd);
  });

  it('Raft §5.4.2: a leader never commits an entry of an earlier term by counting replicas (Figure 8)', () => {
    // a and b hold 2/2 (a led term 2); e led term 3 and wrote 2/3 alone; c and d hold only 1/1.
    const voters = ['a', 'b', 'c', 'd', 'e'];
    const c = new TestCluster([], { config: { preVote: false, checkQuorum: false, maxSizePerMsgBytes: 24 } });
    c.addNode('a', storageWith(voters, 3, [1, 2]));
    c.addNode('b', storageWith(voters, 3, [1, 2]));
    c.addNode('c', storageWith(voters, 3, [1]));
    c.addNode('d', storageWith(voters, 3, [1]));
    c.addNode('e', storageWith(voters, 3, [1, 3]));
    c.isolated.add('d');
    c.isolated.add('e');
    // a wins term 4 and appends its no-op 3/4; hold back c's copy of the no-op
    c.raw('a').campaign();
    // (the first probe to c also carries 3/4: c gets it without its entries and refuses it just the same, so a walks
    // back to send 2/2 — given the entries, c would keep 3/4 to attach once 2/2 arrived)
    const holdNoOpToC = (m: { type: string; to: string; entries?: Entry[] }) =>
      m.type === 'app' && m.to === 'c' && (m.entries ?? []).some((e) => e.index === 3);
    let held: AppendMessage[] = [];
    for (let i = 0; i < 10; i++) {
      c.processAll();
      const noOps = c.take(holdNoOpToC) as AppendMessage[];
      if (c.raw('a').status().progress.c?.match === 2) held = held.concat(noOps);
      else for (const m of noOps) c.stepOne({ ...m, entries: [] });
      c.deliver();
    }
    c.processAll();
    const pr = c.raw('a').status().progress;
    expect([pr.b.match, pr.c.match]).to.deep.equal([3, 2]);
    // 2/2 now sits on a, b and c — a majority of five — yet it is of term 2, not 4: not committed.
    expect(c.raw('a').basicStatus().commit).to.equal(1);
    expect(held.length).to.be.above(0);
    for (const m of held) c.stepOne(m);
    c.stabilize();
    // Once the no-op of term 4 is on a majority, both commit (2/2 indirectly).
    expect(c.raw('a').basicStatus().commit).to.equal(3);
    expect(c.node('a').applied.map((e) => `${e.index}/${e.term}`)).to.deep.equal(['1/1', '2/2', '3/4']);
  });

  it('Raft §5.3: a follower rejects an append whose previous entry does not match, with a hint', () => {
    const storage = new MemoryStorage({ voters: ['a', 'b'], learners: [] });
    storage.append([
      { index: 1, term: 1, kind: 'normal', data: '' },
      { index: 2, term: 1, kind: 'normal', data: 'p' },
      { index: 3, term: 2, kind: 'normal', data: 'q' },
      { index: 4, term: 2, kind: 'normal', data: 'r' },
    ]);
    storage.setHardState({ term: 2, vote: null, commit: 1 });
    const b = new RawNode({ id: 'b' }, storage, minRandom);
    // The leader (term 5) believes our entry 6 has term 5: we have no entry 6; our last entry is 4/2.
    b.step({ type: 'app', from: 'a', to: 'b', term: 5, index: 6, logTerm: 5, entries: [], commit: 1 });
    const [resp] = ofType(sentBy(b.ready()), 'app-resp');
    expect(resp).to.include({ reject: true, index: 6, rejectHint: 4, logTerm: 2 });
  });

  it('fast backtracking: a follower with a long divergent tail is repaired with one rejection', () => {
    // b wrote 20 entries in term 2 that nobody else has; a holds 10 entries of term 3 at the same indexes.
    const voters = ['a', 'b', 'c'];
    const c = new TestCluster([], { config: { preVote: false, checkQuorum: false } });
    const term3 = Array.from({ length: 10 }, () => 3);
    const term2 = Array.from({ length: 20 }, () => 2);
    c.addNode('a', storageWith(voters, 3, [1, ...term3]));
    c.addNode('b', storageWith(voters, 3, [1, ...term2]));
    c.addNode('c', storageWith(voters, 3, [1, ...term3]));
    c.raw('a').campaign();
    let rejects = 0;
    for (let round = 0; round < 30; round++) {
      c.processAll();
      rejects += ofType(c.inFlight, 'app-resp').filter((m) => m.from === 'b' && m.reject).length;
      if (c.inFlight.length === 0) break;
      c.deliver();
    }
    expect(c.raw('b').logEntries(1, 13).map((e) => e.term)).to.deep.equal([1, ...term3, 4]);
    expect(c.raw('b').basicStatus().lastIndex).to.equal(12);
    // b's hint (11/2) lets a skip its whole term-3 run: one rejection instead of ten.
    expect(rejects).to.equal(1);
  });

  it('Raft §5.3: conflicting uncommitted entries in a follower are replaced by the leader\'s', () => {
    const storage = new MemoryStorage({ voters: ['a', 'b'], learners: [] });
    storage.append([
      { index: 1, term: 1, kind: 'normal', data: '' },
      { index: 2, term: 2, kind: 'normal', data: 'stale' },
      { index: 3, term: 2, kind: 'normal', data: 'stale2' },
    ]);
    storage.setHardState({ term: 2, vote: null, commit: 1 });
    const b = new RawNode({ id: 'b', applied: 1 }, storage, minRandom);
    const ents: Entry[] = [{ index: 2, term: 3, kind: 'normal', data: 'new' }];
    b.step({ type: 'app', from: 'a', to: 'b', term: 3, index: 1, logTerm: 1, entries: ents, commit: 2 });
    const rd = b.ready();
    expect(rd.entries).to.deep.equal(ents); // persist from index 2, replacing the stale suffix
    expect(rd.committedEntries.map((e) => e.data)).to.deep.equal(['new']);
    storage.append(rd.entries);
    expect(storage.lastIndex()).to.equal(2);
    b.advance(rd);
    expect(b.basicStatus()).to.include({ lastIndex: 2, commit: 2 });
  });

  it('batching: proposals between two ready() calls go out in one append per follower', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    for (let i = 0; i < 50; i++) c.raw('a').propose(`p${i}`);
    const rd = c.processReady('a');
    const apps = ofType(sentBy(rd), 'app');
    expect(apps.map((m) => [m.to, m.entries.length])).to.deep.equal([
      ['b', 50],
      ['c', 50],
    ]);
    c.stabilize();
    expect(c.appliedData('b')).to.have.length(50);
  });

  it('batching: maxSizePerMsgBytes splits a backlog into several appends, all in flight at once (pipelining)', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { maxSizePerMsgBytes: 300 } });
    c.elect('a');
    for (let i = 0; i < 40; i++) c.raw('a').propose('x'.repeat(26)); // 50 bytes each with overhead: 6 per message
    const rd = c.processReady('a');
    const toB = ofType(sentBy(rd), 'app').filter((m) => m.to === 'b');
    expect(toB.map((m) => m.entries.length)).to.deep.equal([6, 6, 6, 6, 6, 6, 4]);
    // consecutive: each message continues where the previous one ended
    for (let i = 1; i < toB.length; i++) expect(toB[i].index).to.equal(toB[i - 1].index + toB[i - 1].entries.length);
    expect(c.raw('a').status().progress.b).to.include({ state: 'replicate', inflight: 7, next: 42 });
    c.stabilize();
    expect(c.appliedData('c')).to.have.length(40);
  });

  it('flow control: a replicating follower has at most maxInflightMsgs appends outstanding', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { maxSizePerMsgBytes: 50, maxInflightMsgs: 3 } });
    c.elect('a');
    for (let i = 0; i < 10; i++) c.raw('a').propose('y'.repeat(20));
    const rd = c.processReady('a');
    const toB = ofType(sentBy(rd), 'app').filter((m) => m.to === 'b');
    expect(toB).to.have.length(3);
    expect(c.raw('a').status().progress.b).to.include({ inflight: 3, match: 1 });
    // acks open the window again
    c.stabilize();
    expect(c.appliedData('b')).to.have.length(10);
    expect(c.raw('a').status().progress.b).to.include({ inflight: 0, match: 11 });
  });

  it('flow control: with maxInflightBytes, a follower has at most that many bytes of entries outstanding', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { maxSizePerMsgBytes: 100, maxInflightMsgs: 256, maxInflightBytes: 250 } });
    c.elect('a');
    for (let i = 0; i < 10; i++) c.raw('a').propose('y'.repeat(76)); // 100 bytes each with the entry overhead
    const rd = c.processReady('a');
    const toB = ofType(sentBy(rd), 'app').filter((m) => m.to === 'b');
    expect(toB.map((m) => m.entries.length)).to.deep.equal([1, 1, 1]); // 300 bytes >= 250: the window is full
    expect(c.raw('a').status().progress.b).to.include({ inflight: 3 });
    c.stabilize();
    expect(c.appliedData('b')).to.have.length(10);
  });

  it('probe: a follower whose position is unknown gets one append at a time', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false, checkQuorum: false } });
    c.elect('a');
    c.raw('a').reportUnreachable('b'); // optimistic pipeline to b is off: back to probing
    expect(c.raw('a').status().progress.b.state).to.equal('probe');
    c.raw('a').propose('1');
    c.processReady('a');
    c.raw('a').propose('2');
    c.processReady('a');
    const toB = ofType(c.inFlight, 'app').filter((m) => m.to === 'b');
    expect(toB).to.have.length(1); // the second waits for the probe's answer
    c.stabilize();
    expect(c.raw('a').status().progress.b.state).to.equal('replicate');
    expect(c.appliedData('b')).to.deep.equal(['1', '2']);
  });

  it('reordering: an append that overtook the one before it is refused, kept, and attached once the gap fills; one ack covers both', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const { index: x } = c.raw('a').propose('x');
    c.processReady('a');
    const { index: y } = c.raw('a').propose('y');
    c.processReady('a'); // the pipeline: two appends in flight to b
    const [first, second] = c.take((m) => m.type === 'app' && m.to === 'b');
    c.stepOne(second); // overtakes
    c.processReady('b');
    expect(ofType(c.take((m) => m.from === 'b'), 'app-resp').map((m) => [m.index, m.reject, m.rejectHint])).to.deep.equal([[x, true, x - 1]]);
    c.stepOne(first);
    c.processReady('b');
    expect(ofType(c.take((m) => m.from === 'b'), 'app-resp').map((m) => [m.index, m.reject])).to.deep.equal([[y, false]]);
    expect(c.raw('b').logEntries(x, y + 1).map((e) => e.data)).to.deep.equal(['x', 'y']);
  });

  it('heartbeats: a follower that got appends and answered since the last round gets none; one that stopped answering does', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const heartbeatsTo = (): string[] => sentBy(c.processReady('a')).filter((m) => m.type === 'heartbeat').map((m) => m.to);
    c.tick('a', 1);
    expect(heartbeatsTo()).to.deep.equal([]); // the election's appends and their acks did the heartbeat's work
    c.tick('a', 1);
    expect(heartbeatsTo()).to.deep.equal(['b', 'c']); // nothing flowed since
    c.deliver();
    c.processAll();
    c.take((m) => m.from === 'b'); // from here on nothing comes back from b
    c.deliver();
    c.raw('a').propose('x');
    c.processReady('a');
    c.take((m) => m.to === 'b');
    c.deliver();
    c.processReady('c');
    c.deliver();
    c.tick('a', 1);
    // c got an append and answered: skipped. b got one but did not answer: the heartbeat goes, and its answer
    // (which waits for no disk) keeps check-quorum informed.
    expect(heartbeatsTo()).to.deep.equal(['b']);
  });

  it('flow control: appends lost in the network are recovered through heartbeats', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.raw('a').propose('lost');
    c.processReady('a');
    c.take(); // every copy vanishes: no ack, no commit, nothing else to trigger a resend
    c.tick('a', 1);
    c.stabilize(); // no heartbeat yet: since the last round appends went out and answers came back
    c.tick('a', 1);
    c.stabilize(); // one heartbeat round: replies show no progress yet
    expect(c.appliedData('b')).to.deep.equal([]);
    c.tick('a', 1);
    c.stabilize(); // a second round without progress: an empty append finds the gap and the entry is resent
    expect(c.appliedData('b')).to.deep.equal(['lost']);
    expect(c.appliedData('c')).to.deep.equal(['lost']);
  });

  it('Ready: committed entries are handed out in batches of at most maxCommittedSizePerReadyBytes', () => {
    const c = new TestCluster(['a'], { config: { maxCommittedSizePerReadyBytes: 100 } });
    c.raw('a').campaign();
    c.processAll();
    for (let i = 0; i < 10; i++) c.raw('a').propose('z'.repeat(26)); // 50 bytes each
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const rd = c.processReady('a');
      if (rd === undefined) break;
      if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
    }
    expect(sizes).to.deep.equal([2, 2, 2, 2, 2]);
  });

  it('a leader drops proposals once uncommitted data exceeds maxUncommittedEntriesBytes', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { maxUncommittedEntriesBytes: 100 } });
    c.elect('a');
    c.isolated.add('b');
    c.isolated.add('c');
    c.raw('a').propose('x'.repeat(60));
    expect(() => c.raw('a').propose('x'.repeat(60))).to.throw(ProposalDroppedError, /maxUncommittedEntriesBytes/);
    c.isolated.clear();
    c.tick('a', 1);
    c.stabilize(); // the first one commits, making room
    expect(c.raw('a').propose('x'.repeat(60)).index).to.equal(3);
  });

  it('proposals go only to the leader: a follower throws NotLeaderError with the leader hint', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    expect(() => c.raw('b').propose('x')).to.throw(NotLeaderError).with.property('leaderId', null);
    c.elect('a');
    expect(() => c.raw('b').propose('x')).to.throw(NotLeaderError).with.property('leaderId', 'a');
    expect(() => c.raw('b').readIndex('r')).to.throw(NotLeaderError);
  });

  it('ready/advance: nothing to do means hasReady() is false, and ready() twice without advance() throws', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.stabilize();
    for (const id of ['a', 'b', 'c']) expect(c.raw(id).hasReady()).to.equal(false);
    c.raw('a').propose('x');
    const rd = c.raw('a').ready();
    expect(() => c.raw('a').ready()).to.throw(/advance/);
    c.raw('a').advance(rd);
  });
});
