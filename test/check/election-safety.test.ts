import { expect } from 'chai';
import { checkElectionSafety } from '../../src/check/election-safety.js';
import { ops } from './history-builder.js';

const campaign = (p: number, t: [number, number], term?: number) => ({ p, f: 'campaign', key: 'e', in: { ttlMs: 2000 }, out: term === undefined ? { error: 'timeout' } : { term }, t, status: term === undefined ? ('fail' as const) : ('ok' as const) });
const claim = (p: number, t: [number, number], term: number, leader = true) => ({ p, f: 'is-leader', key: 'e', in: {}, out: { leader, term }, t });
const resign = (p: number, t: [number, number]) => ({ p, f: 'resign', key: 'e', in: {}, out: {}, t });

describe('election safety: at most one leader per term, none stale', () => {
  it('leaders one after another, each claiming its own term, are valid', () => {
    const r = checkElectionSafety(ops(campaign(0, [0, 10], 5), claim(0, [20, 25], 5), resign(0, [30, 35]), campaign(1, [12, 40], 9), claim(1, [50, 55], 9)));
    expect(r.verdict, r.summary).to.equal('valid');
    expect([r.terms, r.claims]).to.deep.equal([2, 2]);
  });

  it('a claim made while the newer campaign is still in flight is not a violation', () => {
    const r = checkElectionSafety(ops(campaign(0, [0, 10], 5), campaign(1, [12, 100], 9), claim(0, [50, 60], 5)));
    expect(r.verdict, r.summary).to.equal('valid');
  });

  it('the paused leader: claiming term 5 after term 9 was certainly won is invalid', () => {
    const r = checkElectionSafety(ops(campaign(0, [0, 10], 5), campaign(1, [12, 40], 9), claim(0, [50, 55], 5)));
    expect(r.verdict).to.equal('invalid');
    expect(r.counterExample?.kind).to.equal('stale-leader');
    expect(r.counterExample?.description).to.include('p0 said it leads "e" in term 5');
  });

  it('one term won by two, terms going down, and a term never won are each invalid', () => {
    expect(checkElectionSafety(ops(campaign(0, [0, 10], 5), campaign(1, [0, 12], 5))).counterExample?.kind).to.equal('shared-term');
    expect(checkElectionSafety(ops(campaign(0, [0, 10], 9), campaign(1, [20, 30], 5))).counterExample?.kind).to.equal('term-not-increasing');
    expect(checkElectionSafety(ops(campaign(0, [0, 10], 5), claim(0, [20, 25], 6))).counterExample?.kind).to.equal('unknown-term');
  });
});
