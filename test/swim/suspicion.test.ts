import { expect } from 'chai';
import { confirmationsWanted, remainingSuspicionTime, Suspicion, SuspicionTimers, suspicionTimeoutMs } from '../../src/swim/suspicion.js';

describe('Lifeguard suspicion', () => {
  it('suspicion min timeout = mult · max(1, log10 n) · probe interval (memberlist: n=5 → 4 s, n=100 → 8 s at LAN)', () => {
    expect(suspicionTimeoutMs(4, 5, 1000)).to.equal(4000);
    expect(suspicionTimeoutMs(4, 100, 1000)).to.equal(8000);
    expect(suspicionTimeoutMs(4, 1000, 1000)).to.equal(12000);
    expect(suspicionTimeoutMs(3, 7, 200)).to.equal(600);
    expect(suspicionTimeoutMs(4, 0, 1000)).to.equal(4000);
  });

  it('confirmations wanted k = mult − 2, and k = 0 when n − 2 < k (memberlist: small clusters go straight to min)', () => {
    expect(confirmationsWanted(4, 100)).to.equal(2);
    expect(confirmationsWanted(4, 4)).to.equal(2);
    expect(confirmationsWanted(4, 3)).to.equal(0);
    expect(confirmationsWanted(3, 7)).to.equal(1);
    expect(confirmationsWanted(3, 2)).to.equal(0);
    expect(confirmationsWanted(1, 100)).to.equal(0);
  });

  it('remainingSuspicionTime follows memberlist suspicion_test.go', () => {
    // [n, k, elapsed, min, max, expected] from memberlist's TestSuspicion_remainingSuspicionTime.
    const cases: [number, number, number, number, number, number][] = [
      [0, 3, 0, 2000, 30000, 30000],
      [1, 3, 2000, 2000, 30000, 14000],
      [2, 3, 3000, 2000, 30000, 4810],
      [3, 3, 4000, 2000, 30000, -2000],
      [4, 3, 5000, 2000, 30000, -3000],
      [5, 3, 10000, 2000, 30000, -8000],
    ];
    for (const [n, k, elapsed, min, max, expected] of cases) {
      expect(remainingSuspicionTime(n, k, elapsed, min, max), `n=${n}`).to.equal(expected);
    }
  });

  it('with k = 0 the timer is the minimum from the start', () => {
    expect(remainingSuspicionTime(0, 0, 0, 600, 3600)).to.equal(600);
    expect(remainingSuspicionTime(0, 0, 100, 600, 3600)).to.equal(500);
  });

  it('a suspect timer starts at max and shrinks toward min with independent confirmations', () => {
    const s = new Suspicion('n3', 4, 'n1', 2, 4000, 24000, 1000);
    expect(s.deadlineMs()).to.equal(1000 + 24000);
    expect(s.confirm('n2', 2000)).to.equal(true);
    const afterOne = s.deadlineMs();
    expect(afterOne).to.be.below(25000).and.above(1000 + 4000);
    expect(s.confirm('n5', 2500)).to.equal(true);
    expect(s.deadlineMs()).to.equal(1000 + 4000);
    expect(s.confirmationCount()).to.equal(2);
    expect(s.accusers()).to.deep.equal(['n1', 'n2', 'n5']);
  });

  it('the timer lands where memberlist TestSuspicion_Timer expects (k=3, 500 ms…2 s: 1250, ~810, then min)', () => {
    const s = new Suspicion('x', 0, 'me', 3, 500, 2000, 0);
    expect(s.deadlineMs()).to.equal(2000);
    s.confirm('foo', 25);
    expect(s.deadlineMs()).to.equal(1250);
    s.confirm('bar', 50);
    expect(s.deadlineMs()).to.equal(811); // memberlist's test says 810 within a 25 ms fudge: floor(2000 − log(3)/log(4)·1500)
    s.confirm('baz', 75);
    expect(s.deadlineMs()).to.equal(500);
  });

  it('confirmations are de-duplicated per sender, the first accuser does not count, and none count past k', () => {
    const s = new Suspicion('n3', 0, 'n1', 2, 4000, 24000, 0);
    expect(s.confirm('n1', 10)).to.equal(false);
    expect(s.confirm('n2', 10)).to.equal(true);
    expect(s.confirm('n2', 20)).to.equal(false);
    expect(s.confirm('n4', 30)).to.equal(true);
    expect(s.confirm('n6', 40)).to.equal(false);
    expect(s.confirmationCount()).to.equal(2);
  });

  it('the timers give the earliest deadline and hand over those due, earliest first', () => {
    const timers = new SuspicionTimers();
    const a = new Suspicion('a', 0, 'x', 1, 100, 600, 0);
    const b = new Suspicion('b', 0, 'x', 1, 100, 600, 50);
    timers.start(a);
    timers.start(b);
    expect(timers.nextDeadlineMs()).to.equal(600);
    b.confirm('y', 60);
    timers.track(b);
    expect(timers.nextDeadlineMs()).to.equal(150);
    expect(timers.takeDue(149)).to.deep.equal([]);
    expect(timers.takeDue(150).map((s) => s.memberId)).to.deep.equal(['b']);
    timers.delete('a');
    expect(timers.nextDeadlineMs()).to.equal(Infinity);
    expect(timers.size).to.equal(0);
  });
});
