import { expect } from 'chai';
import type { Entry } from '../../../src/raft/index.js';
import { RaftInvariantChecker, type LogView } from '../../../src/sim/raft/raft-invariants.js';

/** A log given as the terms of entries 1..n (compacted below `first`). */
function log(terms: number[], first = 1): LogView {
  return {
    firstIndex: () => first,
    lastIndex: () => terms.length,
    term: (i: number) => (i === 0 ? 0 : i < first - 1 || i > terms.length ? undefined : terms[i - 1]),
  };
}

const entry = (index: number, term: number, data = `d${index}/${term}`): Entry => ({ index, term, kind: 'normal', data });

describe('sim/raft: the invariant checker rejects known-bad histories', () => {
  it('election safety: two leaders in one term is a violation; one leader re-observed is not', () => {
    const ok = new RaftInvariantChecker();
    ok.observeLeader('a', 3);
    ok.observeLeader('a', 3);
    ok.observeLeader('b', 4);
    expect(ok.violations).to.deep.equal([]);
    const bad = new RaftInvariantChecker();
    bad.setClock(17, 420);
    bad.observeLeader('a', 3);
    bad.observeLeader('b', 3);
    expect(bad.violations).to.deep.equal([{ step: 17, timeMs: 420, kind: 'election-safety', description: 'two leaders in term 3: a and b' }]);
  });

  it('log matching: the same (index, term) with different data, or a different predecessor, is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeAppended('a', entry(5, 2, 'x'), 2);
    c.observeAppended('b', entry(5, 2, 'x'), 2);
    expect(c.ok).to.equal(true);
    c.observeAppended('c', entry(5, 2, 'y'), 2);
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['log-matching']);
    const d = new RaftInvariantChecker();
    d.observeAppended('a', entry(5, 2, 'x'), 1);
    d.observeAppended('b', entry(5, 2, 'x'), 2);
    expect(d.violations[0].description).to.match(/follows term 1 on a but term 2 on b/);
  });

  it('leader completeness: a new leader missing an entry committed in an earlier term is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeCommit('a', 2, 3, log([1, 1, 2])); // committed by the leader of term 2
    c.observeLeader('b', 3, log([1, 1, 2, 3])); // has everything: fine
    expect(c.ok).to.equal(true);
    c.observeLeader('c', 4, log([1, 1, 3])); // index 3 holds term 3, but 2 was committed there
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['leader-completeness']);
    const short = new RaftInvariantChecker();
    short.observeCommit('a', 2, 3, log([1, 1, 2]));
    short.observeLeader('d', 5, log([1, 1]));
    expect(short.violations[0].description).to.match(/last index 2, below index 3 committed in term 2/);
  });

  it('leader completeness is about earlier terms (seed 1004897: a leader of term 23 elected after term 24 committed more holds what it must)', () => {
    // The run, reduced: 143 was committed by term 22; n4 led term 24 and committed up to 153; a vote for n1's
    // term-23 campaign, delayed by a reorder burst, arrived after that and made n1 leader of term 23 with last
    // index 147. Raft §5.4 asks n1 for what terms before 23 committed (up to 143), not for term 24's 144..153.
    const terms = (n: number, tail: number[] = []): number[] => [...Array.from({ length: n }, () => 18), ...tail];
    const c = new RaftInvariantChecker();
    c.observeCommit('n6', 22, 143, log(terms(143)));
    c.observeCommit('n4', 24, 153, log(terms(143, Array.from({ length: 10 }, () => 24))));
    c.observeLeader('n4', 24);
    c.observeLeader('n1', 23, log(terms(143, [23, 23, 23, 23]))); // last index 147
    expect(c.violations).to.deep.equal([]);
    expect(c.committedBeforeTerm(23)).to.deep.equal({ index: 143, term: 22 });
    expect(c.committedBeforeTerm(25)).to.deep.equal({ index: 153, term: 24 });
    // The same late leader without what term 22 committed is a violation.
    const bad = new RaftInvariantChecker();
    bad.observeCommit('n6', 22, 143, log(terms(143)));
    bad.observeCommit('n4', 24, 153, log(terms(143, Array.from({ length: 10 }, () => 24))));
    bad.observeLeader('n1', 23, log(terms(140)));
    expect(bad.violations.map((v) => v.description)).to.deep.equal(['n1 became leader of term 23 with last index 140, below index 143 committed in term 22']);
  });

  it('leader completeness takes the lowest term an index was seen committed in (a restarted node sees old commits in a later term)', () => {
    const c = new RaftInvariantChecker();
    c.observeCommit('a', 5, 4, log([1, 1, 2, 2])); // a restarted node, in term 5, with commit 4 from its hard state
    c.observeCommit('b', 2, 4, log([1, 1, 2, 2])); // the leader that committed 4, seen later: term 2 is the one
    c.observeLeader('c', 3, log([1, 1, 2]));
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['leader-completeness']);
  });

  it('leader completeness skips what the new leader holds only as a snapshot', () => {
    const c = new RaftInvariantChecker();
    c.observeCommit('a', 2, 4, log([1, 1, 2, 2]));
    c.observeLeader('b', 3, log([9, 9, 9, 2, 3], 5)); // entries 1..3 compacted away (their terms are unknowable)
    expect(c.ok).to.equal(true);
  });

  it('state machine safety: two nodes committing or applying different entries at an index is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeCommit('a', 1, 2, log([1, 1]));
    c.observeCommit('b', 2, 2, log([1, 2]));
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['state-machine-safety']);
    const d = new RaftInvariantChecker();
    d.observeApplied('a', entry(1, 1), 111);
    d.observeApplied('b', entry(1, 1), 111);
    expect(d.ok).to.equal(true);
    d.observeApplied('c', entry(1, 1), 222); // same entry, different state: an earlier divergence
    expect(d.violations.map((v) => v.kind)).to.deep.equal(['state-machine-safety']);
    const e = new RaftInvariantChecker();
    e.observeApplied('a', entry(7, 2), 5);
    e.observeSnapshotLoaded('b', 7, 2, 6);
    expect(e.violations.map((v) => v.kind)).to.deep.equal(['state-machine-safety']);
  });

  it('read linearizability: an answer below the highest commit index known at request time is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observePersistedCommit(10);
    c.observeReadRequested('r1');
    c.observePersistedCommit(12); // commits after the request do not raise the bar
    c.observeReadAnswered('a', 'r1', 10);
    expect(c.ok).to.equal(true);
    c.observeReadRequested('r2');
    c.observeReadAnswered('a', 'r2', 11);
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['read-linearizability']);
    c.observeReadAnswered('a', 'r2', 12); // answered twice
    expect(c.violations).to.have.length(2);
    // a commit index known only in memory (not yet durable anywhere) raises the bar too
    c.observeCommit('b', 1, 14, log(Array.from({ length: 14 }, () => 1)));
    c.observeReadRequested('r3');
    c.observeReadAnswered('a', 'r3', 13);
    expect(c.violations.map((v) => v.kind)).to.deep.equal(['read-linearizability', 'read-linearizability', 'read-linearizability']);
  });
});
