import { expect } from 'chai';
import { SeededRandom } from '../../src/random/random.js';
import { ProbeOrder, SHUFFLED_ORDER_MAX_SLOTS } from '../../src/swim/prober.js';

function round(order: ProbeOrder): number[] {
  const out: number[] = [];
  for (let s = order.next(); s !== undefined; s = order.next()) out.push(s);
  return out;
}

describe('SWIM probe order (shuffled round robin)', () => {
  for (const n of [1, 2, 7, 100, SHUFFLED_ORDER_MAX_SLOTS, SHUFFLED_ORDER_MAX_SLOTS + 1, 10_000, 10_007]) {
    it(`SWIM: every one of ${n} members is probed exactly once per round`, () => {
      const order = new ProbeOrder();
      const r = new SeededRandom(n);
      for (let k = 0; k < 3; k++) {
        order.reset(n, r);
        const slots = round(order);
        expect(slots).to.have.length(n);
        expect(new Set(slots).size).to.equal(n);
        expect(Math.min(...slots)).to.equal(0);
        expect(Math.max(...slots)).to.equal(n - 1);
      }
    });
  }

  it('each round is reshuffled', () => {
    for (const n of [50, 9000]) {
      const order = new ProbeOrder();
      const r = new SeededRandom(3);
      order.reset(n, r);
      const a = round(order);
      order.reset(n, r);
      const b = round(order);
      expect(a).to.not.deep.equal(b);
    }
  });
});
