import { expect } from 'chai';
import { MemoryStorage, RawNode } from '../../src/raft/index.js';
import { TestCluster, minRandom, ofType, sentBy } from './raft-test-cluster.js';

describe('raft: snapshots and log compaction (Raft §7)', () => {
  /** a leads, c was away while a committed and compacted its log past what c has. */
  function laggingFollower(): TestCluster {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'before');
    c.isolated.add('c');
    for (let i = 0; i < 5; i++) c.proposeAndCommit('a', `while-away-${i}`);
    c.snapshotAndCompact('a'); // a's log now starts after index 7
    c.isolated.delete('c');
    return c;
  }

  /** Heartbeat rounds until the leader puts a snapshot in flight (not delivered). */
  function untilSnapshotInFlight(c: TestCluster): void {
    for (let i = 0; i < 10; i++) {
      c.tick('a', 1);
      c.processAll();
      if (ofType(c.inFlight, 'snap').length > 0) return;
      c.deliver((m) => m.type !== 'snap');
      c.processAll();
      if (ofType(c.inFlight, 'snap').length > 0) return;
      c.deliver((m) => m.type !== 'snap');
    }
    throw new Error('no snapshot was sent');
  }

  it('a follower far behind receives a snapshot (MsgSnap) with the storage snapshot', () => {
    const c = laggingFollower();
    expect(c.raw('a').basicStatus().firstIndex).to.equal(8);
    untilSnapshotInFlight(c);
    const snaps = ofType(c.inFlight, 'snap');
    expect(snaps).to.have.length(1);
    const snap = snaps[0];
    expect(snap.to).to.equal('c');
    expect(snap.snapshot.meta).to.deep.equal({ index: 7, term: 1, confState: { voters: ['a', 'b', 'c'], learners: [] } });
    expect(c.raw('a').status().progress.c).to.include({ state: 'snapshot', pendingSnapshot: 7 });
    const events = c.node('a').events.filter((e) => e.type === 'snapshot-sent');
    expect(events).to.deep.equal([{ type: 'snapshot-sent', to: 'c', index: 7, term: 1 }]);
  });

  it('a follower restores from the snapshot, then replicates from the log again', () => {
    const c = laggingFollower();
    untilSnapshotInFlight(c);
    c.stabilize();
    const rd = c.node('c').readies.find((r) => r.snapshot !== undefined);
    expect(rd?.snapshot?.meta.index).to.equal(7);
    expect(rd?.committedEntries).to.deep.equal([]); // nothing is applied on top of an uninstalled snapshot
    expect(c.node('c').events.some((e) => e.type === 'snapshot-restored')).to.equal(true);
    expect(c.appliedData('c')).to.deep.equal(c.appliedData('a'));
    expect(c.raw('a').status().progress.c).to.include({ state: 'replicate', match: 7 });
    c.proposeAndCommit('a', 'after');
    expect(c.appliedData('c').at(-1)).to.equal('after');
    expect(c.node('c').storage.firstIndex()).to.equal(8);
  });

  it('reportSnapshot(failure) sends the follower back to probing; the snapshot is sent again', () => {
    const c = laggingFollower();
    untilSnapshotInFlight(c);
    c.take((m) => m.type === 'snap'); // lost in transit
    c.raw('a').reportSnapshot('c', false);
    expect(c.raw('a').status().progress.c.state).to.equal('probe');
    c.tick('a', 1);
    c.stabilize();
    expect(c.node('a').events.filter((e) => e.type === 'snapshot-sent')).to.have.length(2);
    expect(c.appliedData('c')).to.deep.equal(c.appliedData('a'));
  });

  it('without a report, a follower stays in snapshot state: appends to it pause', () => {
    const c = laggingFollower();
    untilSnapshotInFlight(c);
    c.take((m) => m.type === 'snap');
    c.raw('a').propose('more');
    c.processAll();
    expect(ofType(c.inFlight, 'app').filter((m) => m.to === 'c')).to.deep.equal([]);
  });

  it('a snapshot that does not include the follower in its configuration is refused', () => {
    const storage = new MemoryStorage({ voters: ['a', 'b'], learners: [] });
    const b = new RawNode({ id: 'b' }, storage, minRandom);
    b.step({
      type: 'snap',
      from: 'a',
      to: 'b',
      term: 1,
      snapshot: { meta: { index: 10, term: 1, confState: { voters: ['a', 'x'], learners: [] } }, data: '' },
    });
    const rd = b.ready();
    expect(rd.snapshot).to.equal(undefined);
    expect(ofType(sentBy(rd), 'app-resp').map((m) => m.index)).to.deep.equal([0]); // tells the leader its commit index
  });

  it('a snapshot at or below the commit index is not installed', () => {
    const c = new TestCluster(['a', 'b']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    const commit = c.raw('b').basicStatus().commit;
    c.stepOne({
      type: 'snap',
      from: 'a',
      to: 'b',
      term: 1,
      snapshot: { meta: { index: commit, term: 1, confState: { voters: ['a', 'b'], learners: [] } }, data: '[]' },
    });
    const rd = c.processReady('b');
    expect(rd?.snapshot).to.equal(undefined);
    expect(ofType(sentBy(rd), 'app-resp').map((m) => m.index)).to.deep.equal([commit]);
  });

  it('a restarted node resumes from its snapshot and re-applies only later committed entries', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.proposeAndCommit('a', 'y');
    c.snapshotAndCompact('b');
    c.proposeAndCommit('a', 'z');
    const n = c.restart('b');
    const st = n.raw.basicStatus();
    expect(st.applied).to.equal(3); // the snapshot's index
    expect(st.firstIndex).to.equal(4);
    const rd = c.processReady('b');
    expect(rd?.committedEntries.map((e) => e.data)).to.deep.equal(['z']);
  });

  it('a snapshot is not installed while committed entries handed out in a Ready are still being applied (seed 1009450)', () => {
    // b took a Ready holding a committed conf change and was still applying it when a snapshot arrived from after a
    // later change undid it. Installed then, the snapshot's configuration was overwritten by the stale change as b
    // applied it (in the run, the bootstrap's add-voter n3 put back n3, removed and decommissioned long before, and
    // liveness waited for it for ever).
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const others = (): void => {
      for (let i = 0; i < 20; i++) {
        c.processReady('a');
        c.processReady('c');
        c.deliver((m) => m.to !== 'b');
      }
    };
    c.raw('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    c.processReady('a');
    c.deliver((m) => m.to === 'b');
    c.processReady('b');
    c.deliver();
    c.processAll(); // a commits add-learner d and tells b
    c.deliver((m) => m.to === 'b');
    const applying = c.raw('b').ready(); // b is applying it...
    expect(applying.committedEntries.filter((e) => e.kind === 'conf-change')).to.have.length(1);
    others(); // ...while a and c remove d again, and a compacts its log
    c.raw('a').proposeConfChange({ type: 'remove-node', nodeId: 'd' });
    others();
    expect(c.raw('a').status().confState).to.deep.equal({ voters: ['a', 'b', 'c'], learners: [] });
    c.snapshotAndCompact('a');
    const snapshot = c.node('a').storage.snapshot();
    c.raw('b').step({ type: 'snap', from: 'a', to: 'b', term: c.raw('a').basicStatus().term, snapshot });
    // b finishes applying the Ready it had, then goes on
    for (const e of applying.committedEntries) if (e.kind === 'conf-change') c.raw('b').applyConfChange(JSON.parse(e.data));
    c.node('b').storage.append(applying.entries);
    if (applying.hardState) c.node('b').storage.setHardState(applying.hardState);
    c.raw('b').advance(applying);
    c.tick('a', 2);
    c.stabilize();
    expect(c.raw('b').status().confState).to.deep.equal({ voters: ['a', 'b', 'c'], learners: [] });
  });
});
