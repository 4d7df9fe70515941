import { expect } from 'chai';
import { CompactedError, MemoryStorage, SnapshotOutOfDateError, UnavailableError, type Entry } from '../../src/raft/index.js';

const e = (index: number, term: number, data = `d${index}`): Entry => ({ index, term, kind: 'normal', data });

describe('raft: MemoryStorage (the RaftStorage contract)', () => {
  function withEntries(n: number): MemoryStorage {
    const s = new MemoryStorage({ voters: ['a'], learners: [] });
    s.append(Array.from({ length: n }, (_, i) => e(i + 1, 1)));
    return s;
  }

  it('an empty storage: firstIndex 1, lastIndex 0, term(0) = 0, the initial ConfState', () => {
    const s = new MemoryStorage({ voters: ['a', 'b'], learners: ['c'] });
    expect([s.firstIndex(), s.lastIndex(), s.term(0)]).to.deep.equal([1, 0, 0]);
    expect(s.initialState()).to.deep.equal({ hardState: { term: 0, vote: null, commit: 0 }, confState: { voters: ['a', 'b'], learners: ['c'] } });
  });

  it('entries [lo, hi) with a size limit that still returns at least one entry', () => {
    const s = withEntries(5);
    expect(s.entries(2, 5).map((x) => x.index)).to.deep.equal([2, 3, 4]);
    expect(s.entries(2, 5, 1).map((x) => x.index)).to.deep.equal([2]);
    expect(s.entries(2, 5, 2 * (2 + 24)).map((x) => x.index)).to.deep.equal([2, 3]);
    expect(s.entries(3, 3)).to.deep.equal([]);
    expect(() => s.entries(2, 7)).to.throw(UnavailableError);
  });

  it('term(): compaction point still answers; below it CompactedError, above last UnavailableError', () => {
    const s = withEntries(5);
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(5)]).to.deep.equal([4, 5, 1, 1]);
    expect(() => s.term(2)).to.throw(CompactedError);
    expect(() => s.term(6)).to.throw(UnavailableError);
    expect(() => s.entries(3, 5)).to.throw(CompactedError);
    expect(() => s.compact(3)).to.throw(CompactedError);
  });

  it('append replaces a conflicting suffix and ignores compacted entries', () => {
    const s = withEntries(5);
    s.append([e(3, 2, 'x'), e(4, 2, 'y')]);
    expect(s.entries(1, 5).map((x) => `${x.index}/${x.term}`)).to.deep.equal(['1/1', '2/1', '3/2', '4/2']);
    s.compact(2);
    s.append([e(1, 1), e(2, 1), e(3, 2, 'x'), e(4, 2, 'y'), e(5, 2, 'z')]);
    expect(s.lastIndex()).to.equal(5);
    expect(() => s.append([e(9, 2)])).to.throw(/missing log entries/);
  });

  it('snapshots: create at an applied index, apply an incoming one, refuse older ones', () => {
    const s = withEntries(5);
    const snap = s.createSnapshot(4, { voters: ['a'], learners: [] }, 'state');
    expect(snap.meta).to.deep.equal({ index: 4, term: 1, confState: { voters: ['a'], learners: [] } });
    expect(() => s.createSnapshot(3, { voters: ['a'], learners: [] }, '')).to.throw(SnapshotOutOfDateError);
    s.applySnapshot({ meta: { index: 10, term: 3, confState: { voters: ['a', 'b'], learners: [] } }, data: 'new' });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).to.deep.equal([11, 10, 3]);
    expect(s.initialState().confState.voters).to.deep.equal(['a', 'b']);
    expect(() => s.applySnapshot(snap)).to.throw(SnapshotOutOfDateError);
  });

  it('hard state round-trips', () => {
    const s = new MemoryStorage();
    s.setHardState({ term: 3, vote: 'b', commit: 0 });
    expect(s.initialState().hardState).to.deep.equal({ term: 3, vote: 'b', commit: 0 });
  });
});
