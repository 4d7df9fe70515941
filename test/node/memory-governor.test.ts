import { expect } from 'chai';
import { MemoryGovernor } from '../../src/node/memory-governor.js';

describe('memory governor (soft RSS target)', () => {
  it('asks for a collection only past the target, and backs off while RSS stays over it', () => {
    let rss = 100;
    const g = new MemoryGovernor(200, () => rss);
    expect(g.isActive).to.equal(true); // gc() can be exposed at run time
    g.check(0);
    expect(g.collections).to.equal(0);
    rss = 300;
    const at: number[] = [];
    for (let t = 0; t <= 10_000; t += 250) {
      const before = g.collections;
      g.check(t);
      if (g.collections > before) at.push(t);
    }
    // 250 ms, then doubling: the live data needs the memory, collecting again and again would only burn CPU.
    expect(at).to.deep.equal([0, 250, 750, 1750, 3750, 7750]);
    rss = 100; // below the target again: back to the short interval
    g.check(10_250);
    rss = 300;
    g.check(20_000);
    expect(g.collections).to.equal(at.length + 1);
    g.check(20_250);
    expect(g.collections).to.equal(at.length + 2);
    g.check(20_500); // still over: now 500 ms apart
    expect(g.collections).to.equal(at.length + 2);
  });
});
