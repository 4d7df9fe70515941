import { expect } from 'chai';
import { SystemClock } from '../../src/time/clock.js';

describe('the system clock: skew moves wall time, clock-rate scales monotonic time', () => {
  it('at 2x monotonic time runs twice as fast, at 0.5x half as fast, continuously across changes; timers convert', () => {
    let real = 1000;
    const clock = new SystemClock(() => real);
    expect(clock.monotonicMs()).to.equal(1000);
    clock.setRate(2);
    real += 50;
    expect(clock.monotonicMs()).to.equal(1100);
    clock.setRate(0.5);
    real += 50;
    expect(clock.monotonicMs()).to.equal(1125);
    expect(clock.realMs(100)).to.equal(200);
    clock.setRate(1);
    real += 10;
    expect(clock.monotonicMs()).to.equal(1135);
    expect(clock.rate).to.equal(1);
    expect(() => clock.setRate(0)).to.throw(RangeError);
    clock.skewMs = 3000;
    expect(clock.nowMs() - Date.now()).to.be.within(2990, 3000);
    expect(clock.monotonicMs(), 'skew leaves monotonic time alone').to.equal(1135);
  });
});
