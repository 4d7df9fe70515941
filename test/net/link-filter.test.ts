import { expect } from 'chai';
import { combineRules, LinkFilter, validateLinkFilterConfig } from '../../src/net/link-filter.js';
import { SeededRandom } from '../../src/random/random.js';

describe('link filter', () => {
  it('passes everything when clear', () => {
    const f = new LinkFilter(new SeededRandom(1));
    expect(f.decide('n2', 'out')).to.deep.equal({ deliver: true, delayMs: 0, copies: 1 });
    expect(f.totals().passed).to.equal(1);
  });

  it('drops per peer and direction only', () => {
    const f = new LinkFilter(new SeededRandom(1));
    f.set({ peers: { n2: { out: { drop: true } } } });
    expect(f.decide('n2', 'out').deliver).to.equal(false);
    expect(f.decide('n2', 'in').deliver).to.equal(true);
    expect(f.decide('n3', 'out').deliver).to.equal(true);
    expect(f.stats()['n2/out'].dropped).to.equal(1);
  });

  it('loses about the configured fraction', () => {
    const f = new LinkFilter(new SeededRandom(42));
    f.set({ peers: { '*': { out: { loss: 0.25 } } } });
    let delivered = 0;
    for (let i = 0; i < 20_000; i++) if (f.decide(`n${(i % 5) + 2}`, 'out').deliver) delivered++;
    expect(delivered / 20_000).to.be.within(0.73, 0.77);
  });

  it('delays with jitter within bounds and duplicates at the configured rate', () => {
    const f = new LinkFilter(new SeededRandom(3));
    f.set({ peers: { n2: { out: { delayMs: 100, jitterMs: 50, duplicate: 0.5 } } } });
    let dups = 0;
    for (let i = 0; i < 4000; i++) {
      const d = f.decide('n2', 'out');
      expect(d.delayMs).to.be.within(100, 150);
      if (d.copies === 2) dups++;
    }
    expect(dups / 4000).to.be.within(0.45, 0.55);
  });

  it('combines a wildcard rule with a peer rule in series', () => {
    expect(combineRules({ delayMs: 10, loss: 0.5 }, { delayMs: 5, loss: 0.5, drop: true })).to.deep.equal({ drop: true, delayMs: 15, loss: 0.75 });
    expect(combineRules(undefined, { drop: true })).to.deep.equal({ drop: true });
  });

  it('validates configs from outside, naming the bad field', () => {
    expect(validateLinkFilterConfig({ peers: {} })).to.equal(null);
    expect(validateLinkFilterConfig({ peers: { n2: { out: { loss: 1.5 } } } })).to.match(/peers\.n2\.out\.loss/);
    expect(validateLinkFilterConfig({ peers: { n2: { sideways: {} } } })).to.match(/direction/);
    expect(validateLinkFilterConfig({ peers: { n2: { in: { delayMs: -1 } } } })).to.match(/delayMs/);
    expect(validateLinkFilterConfig({ peers: { n2: { in: { explode: true } } } })).to.match(/unknown field/);
    expect(validateLinkFilterConfig(null)).to.be.a('string');
  });
});
