import { expect } from 'chai';
import { checkFencingOrder } from '../../src/check/fencing-order.js';

describe('fencing order: what the resource accepted, in its own order', () => {
  it('tokens that never go down are valid (equal tokens: one holder writing twice)', () => {
    const r = checkFencingOrder([
      { revision: 10, token: 5, writer: 'p0' },
      { revision: 11, token: 5, writer: 'p0' },
      { revision: 14, token: 9, writer: 'p1' },
    ]);
    expect(r.verdict, r.summary).to.equal('valid');
    expect(r.writesChecked).to.equal(3);
  });

  it('Kleppmann\'s paused holder: an older token accepted after a newer one is invalid, and named', () => {
    const r = checkFencingOrder([
      { revision: 14, token: 9, writer: 'p1', value: 'p1-1' },
      { revision: 10, token: 5, writer: 'p0', value: 'p0-1' },
      { revision: 17, token: 5, writer: 'p0', value: 'p0-2' },
    ]);
    expect(r.verdict).to.equal('invalid');
    expect(r.violations).to.have.length(1);
    expect(r.counterExample?.kind).to.equal('stale-token');
    expect(r.counterExample?.description).to.include('"p0-2" (token 5, revision 17) after p1\'s write "p1-1" (token 9, revision 14)');
  });

  it('a write without a token is invalid', () => {
    const r = checkFencingOrder([{ revision: 3, token: undefined, writer: 'p2' }]);
    expect(r.verdict).to.equal('invalid');
    expect(r.counterExample?.kind).to.equal('no-token');
  });
});
