import { expect } from 'chai';
import { raftMessageProblem } from '../../src/raft/message-schemas.js';
import type { Message } from '../../src/raft/index.js';

const app = (over: Partial<Extract<Message, { type: 'app' }>> = {}): Message => ({
  type: 'app',
  from: 'n2',
  to: 'n1',
  term: 3,
  index: 5,
  logTerm: 2,
  entries: [
    { index: 6, term: 2, kind: 'normal', data: '' },
    { index: 7, term: 3, kind: 'conf-change', data: '{"type":"add-learner","nodeId":"n4"}' },
  ],
  commit: 6,
  ...over,
});

describe('raft messages at the boundary: schema and the rules that keep a log a log', () => {
  it('well-formed messages of every type pass', () => {
    const ok: Message[] = [
      app(),
      app({ entries: [] }),
      { type: 'app-resp', from: 'n2', to: 'n1', term: 1, index: 3, reject: false, rejectHint: 0, logTerm: 0 },
      { type: 'vote', from: 'n2', to: 'n1', term: 1, index: 3, logTerm: 1, isLeaderTransfer: false },
      { type: 'pre-vote-resp', from: 'n2', to: 'n1', term: 1, reject: true },
      { type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 3, context: '' },
      { type: 'heartbeat-resp', from: 'n2', to: 'n1', term: 1, context: 'n2-1' },
      { type: 'timeout-now', from: 'n2', to: 'n1', term: 1 },
      { type: 'snap', from: 'n2', to: 'n1', term: 2, snapshot: { meta: { index: 9, term: 2, confState: { voters: ['n1'], learners: [] } }, data: '{}' } },
    ];
    for (const m of ok) expect(raftMessageProblem(m), m.type).to.equal(undefined);
  });

  it('wrong types, missing or unknown fields, unsafe numbers and unknown types are refused with a reason', () => {
    const bad: unknown[] = [
      null,
      { type: 'app' },
      { ...app(), term: '3' },
      { ...app(), term: 2 ** 53 },
      { ...app(), commit: -1 },
      { ...app(), extra: 1 },
      { ...app(), entries: [{ index: 6, term: 2, kind: 'normal', data: 1 }] },
      { type: 'hearbeat', from: 'n2', to: 'n1', term: 1, commit: 1, context: '' },
      { type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 1.5, context: '' },
      { type: 'timeout-now', from: '', to: 'n1', term: 1 },
    ];
    for (const m of bad) expect(raftMessageProblem(m), JSON.stringify(m)).to.be.a('string');
  });

  it('an append whose entries do not follow its index one by one, go back in term, or outrun its term is refused', () => {
    const e = (index: number, term: number) => ({ index, term, kind: 'normal' as const, data: '' });
    expect(raftMessageProblem(app({ entries: [e(6, 2), e(8, 2)] }))).to.match(/expected 7/);
    expect(raftMessageProblem(app({ entries: [e(7, 2)] }))).to.match(/expected 6/);
    expect(raftMessageProblem(app({ entries: [e(6, 3), e(7, 2)] }))).to.match(/term 2/);
    expect(raftMessageProblem(app({ entries: [e(6, 4)] }))).to.match(/term 4/);
    expect(raftMessageProblem(app({ logTerm: 4, entries: [] }))).to.match(/logTerm/);
    expect(raftMessageProblem(app({ entries: [{ index: 6, term: 2, kind: 'conf-change', data: '{"op":"bogus"}' }] }))).to.match(/membership change/);
  });

  it('a snapshot at index 0, from a later term, or without voters is refused', () => {
    const snap = (index: number, term: number, voters: string[]): unknown => ({
      type: 'snap',
      from: 'n2',
      to: 'n1',
      term: 2,
      snapshot: { meta: { index, term, confState: { voters, learners: [] } }, data: '{}' },
    });
    expect(raftMessageProblem(snap(0, 1, ['n1']))).to.be.a('string');
    expect(raftMessageProblem(snap(5, 3, ['n1']))).to.be.a('string');
    expect(raftMessageProblem(snap(5, 2, []))).to.match(/without voters/);
  });
});
