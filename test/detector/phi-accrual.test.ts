import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { ArrivalWindow } from '../../src/detector/arrival-window.js';
import { PHI_FACTOR, phiExponential, phiNormal, PhiAccrualDetector } from '../../src/detector/phi-accrual.js';

/** Heartbeats every `everyMs` from 0 to `untilMs` inclusive; returns the last heartbeat time. */
function feed(d: PhiAccrualDetector, everyMs: number, untilMs: number, jitter: (i: number) => number = () => 0): number {
  let t = 0;
  for (let i = 0; t <= untilMs; i++) {
    d.heartbeat(t);
    t = (i + 1) * everyMs + jitter(i + 1);
  }
  return d.lastHeartbeatMs()!;
}

describe('phi accrual failure detector', () => {
  it('phiNormal is −log10 of the normal tail: 0.30 at the mean, 1.64 at +2σ, 2.87 at +3σ', () => {
    expect(phiNormal(1000, 1000, 100)).to.be.closeTo(-Math.log10(0.5), 0.01);
    expect(phiNormal(1200, 1000, 100)).to.be.closeTo(-Math.log10(0.02275), 0.05);
    expect(phiNormal(1300, 1000, 100)).to.be.closeTo(-Math.log10(0.00135), 0.05);
    expect(phiNormal(500, 1000, 100)).to.be.below(0.01);
  });

  it('phiExponential is t / mean · 1/ln 10 (Cassandra)', () => {
    expect(phiExponential(1000, 1000)).to.be.closeTo(PHI_FACTOR, 1e-12);
    expect(phiExponential(10_000, 1000)).to.be.closeTo(10 * PHI_FACTOR, 1e-12);
  });

  it('phi is 0 and the peer available before any heartbeat', () => {
    const d = new PhiAccrualDetector();
    expect(d.phi(123_456)).to.equal(0);
    expect(d.isAvailable(123_456)).to.equal(true);
    expect(d.lastHeartbeatMs()).to.equal(undefined);
  });

  it('phi grows with silence and crosses the threshold: regular 1 s heartbeats, no acceptable pause', () => {
    const d = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 100 });
    const last = feed(d, 1000, 60_000);
    expect(d.statistics().meanMs).to.be.closeTo(1000, 1);
    expect(d.phi(last + 1000)).to.be.closeTo(0.3, 0.05);
    let previous = 0;
    for (let t = last; t <= last + 2000; t += 50) {
      const phi = d.phi(t);
      expect(phi).to.be.at.least(previous);
      previous = phi;
    }
    expect(d.isAvailable(last + 1300)).to.equal(true);
    expect(d.isAvailable(last + 2000)).to.equal(false);
  });

  it('the acceptable pause is added to the mean: Akka defaults tolerate ~3 s more silence', () => {
    const strict = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0 });
    const lenient = new PhiAccrualDetector();
    const last = feed(strict, 1000, 30_000);
    feed(lenient, 1000, 30_000);
    expect(strict.isAvailable(last + 3000)).to.equal(false);
    expect(lenient.isAvailable(last + 3000)).to.equal(true);
    expect(lenient.isAvailable(last + 6000)).to.equal(false);
  });

  it('the minimum standard deviation keeps perfectly regular heartbeats from making phi explode', () => {
    const d = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 100, firstHeartbeatEstimateMs: 1000 });
    const last = feed(d, 1000, 2_000_000);
    expect(d.statistics().stdDeviationMs).to.be.below(1);
    expect(d.phi(last + 1100)).to.be.closeTo(phiNormal(1100, 1000, 100), 0.05);
  });

  it('an interval that ends a failure is not recorded (it would skew the statistics)', () => {
    const d = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0 });
    const last = feed(d, 1000, 20_000);
    const before = d.statistics();
    d.heartbeat(last + 60_000);
    expect(d.statistics().samples).to.equal(before.samples);
    expect(d.statistics().meanMs).to.equal(before.meanMs);
    d.heartbeat(last + 61_000);
    expect(d.statistics().samples).to.equal(before.samples + 1);
  });

  it('the exponential variant follows t / mean', () => {
    const d = new PhiAccrualDetector({ distribution: 'exponential' });
    const last = feed(d, 500, 50_000);
    expect(d.phi(last + 500)).to.be.closeTo(PHI_FACTOR, 0.01);
    expect(d.phi(last + 5000)).to.be.closeTo(10 * PHI_FACTOR, 0.1);
  });

  it('phi adapts to each peer\'s rhythm where a fixed timeout cannot: 2 s of silence is alarming after 100 ms heartbeats', () => {
    const fast = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 20, firstHeartbeatEstimateMs: 100 });
    const slow = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 20, firstHeartbeatEstimateMs: 1000 });
    const lf = feed(fast, 100, 10_000, (i) => (i % 3) * 5);
    const ls = feed(slow, 1000, 100_000, (i) => (i % 3) * 5);
    expect(fast.isAvailable(lf + 2000)).to.equal(false);
    expect(slow.isAvailable(ls + 900)).to.equal(true);
  });

  it('options are validated, naming the field and its range', () => {
    expect(() => new PhiAccrualDetector({ threshold: 0 })).to.throw(CcmError, /threshold must be a number > 0/);
    expect(() => new PhiAccrualDetector({ maxSampleSize: 0 })).to.throw(CcmError, /maxSampleSize/);
    expect(() => new PhiAccrualDetector({ distribution: 'weibull' as 'normal' })).to.throw(CcmError, /distribution/);
  });
});

describe('arrival window', () => {
  it('keeps the last `capacity` intervals with O(1) mean and variance', () => {
    const w = new ArrivalWindow(3);
    expect([w.size, w.mean(), w.variance()]).to.deep.equal([0, 0, 0]);
    w.add(1);
    w.add(2);
    w.add(3);
    expect(w.mean()).to.equal(2);
    expect(w.variance()).to.be.closeTo(2 / 3, 1e-12);
    w.add(10);
    expect(w.size).to.equal(3);
    expect(w.mean()).to.equal(5);
    expect(w.stdDeviation()).to.be.closeTo(Math.sqrt(((2 - 5) ** 2 + (3 - 5) ** 2 + (10 - 5) ** 2) / 3), 1e-9);
  });
});
