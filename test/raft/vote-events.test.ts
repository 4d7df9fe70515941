import { expect } from 'chai';
import type { RaftEvent } from '../../src/raft/index.js';
import { TestCluster } from './raft-test-cluster.js';

const refusals = (c: TestCluster, id: string) => c.node(id).events.filter((e): e is Extract<RaftEvent, { type: 'vote-refused' }> => e.type === 'vote-refused');

describe('raft: refused votes are recorded with their reason (for ccm explain core)', () => {
  it('§5.2: one vote per term: a voter that voted for a refuses b, naming a', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false } });
    c.tick('a', 10);
    c.processReady('a');
    c.deliver((m) => m.to === 'c');
    c.processReady('c');
    c.tick('b', 10);
    c.processReady('b');
    c.deliver((m) => m.from === 'b' && m.to === 'c');
    c.processReady('c');
    expect(refusals(c, 'c').map((e) => [e.candidate, e.term, e.preVote, e.reason, e.other])).to.deep.equal([['b', 1, false, 'already-voted', 'a']]);
  });

  it('§5.4.1: a candidate whose log is behind is refused, with both logs\' last entries', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: false, checkQuorum: false } });
    c.elect('a');
    c.proposeAndCommit('a', 'x');
    c.isolated.add('c');
    c.proposeAndCommit('a', 'y');
    c.isolated.delete('c');
    c.tick('c', 30);
    c.processReady('c');
    c.deliver((m) => m.from === 'c' && m.to === 'b');
    c.processReady('b');
    const [r] = refusals(c, 'b').filter((e) => e.reason === 'log-behind');
    expect(r).to.include({ candidate: 'c', preVote: false, reason: 'log-behind' });
    expect(r.candidateLast).to.match(/^\d+\/1$/);
    expect(Number(r.ownLast!.split('/')[0])).to.be.greaterThan(Number(r.candidateLast!.split('/')[0]));
  });

  it('thesis §6: a pre-vote while the voter hears from a live leader is refused as the leader lease', () => {
    const c = new TestCluster(['a', 'b', 'c'], { config: { preVote: true, checkQuorum: true } });
    c.elect('a');
    c.tick('c', 20);
    c.processReady('c');
    c.deliver((m) => m.from === 'c' && m.to === 'b' && m.type === 'pre-vote');
    c.processReady('b');
    const seen = refusals(c, 'b').map((e) => [e.candidate, e.preVote, e.reason, e.other]);
    expect(seen).to.have.length.greaterThan(0);
    for (const r of seen) expect(r).to.deep.equal(['c', true, 'leader-lease', 'a']);
  });
});
