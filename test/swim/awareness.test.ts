import { expect } from 'chai';
import { Awareness, scaleTimeout } from '../../src/swim/awareness.js';

describe('Lifeguard awareness', () => {
  it('the health score is clamped to [0, max − 1]', () => {
    const a = new Awareness(8);
    expect(a.healthScore()).to.equal(0);
    expect(a.applyDelta(-1)).to.equal(0);
    expect(a.applyDelta(3)).to.equal(3);
    expect(a.applyDelta(100)).to.equal(7);
    expect(a.applyDelta(-2)).to.equal(5);
  });

  it('timeouts are scaled by score + 1', () => {
    const a = new Awareness(8);
    expect(a.scaleTimeout(1000)).to.equal(1000);
    a.applyDelta(2);
    expect(a.scaleTimeout(1000)).to.equal(3000);
    a.applyDelta(10);
    expect(a.scaleTimeout(200)).to.equal(1600);
    expect(scaleTimeout(500, 0)).to.equal(500);
  });

  it('a max of 1 turns awareness off', () => {
    const a = new Awareness(1);
    a.applyDelta(5);
    expect(a.healthScore()).to.equal(0);
    expect(a.scaleTimeout(1000)).to.equal(1000);
  });
});
