import { expect } from 'chai';
import { Backoff, backoffMs, fixedBackoff, retry, type RetryOptions } from '../../src/time/backoff.js';

/** Virtual time for retry(): sleeping moves `now` and records the wait. */
function fakeTime(start = 1000): { waits: number[]; now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = start;
  const waits: number[] = [];
  return { waits, now: () => t, sleep: async (ms) => void (waits.push(ms), (t += ms)) };
}

/** A function that fails `failures` times (with `err`) and then answers 'ok'; counts its calls. */
function failing(failures: number, err: (i: number) => Error = (i) => new Error(`fail ${i}`)): { fn: (attempt: number) => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fn: async (attempt) => {
      calls.push(attempt);
      if (calls.length <= failures) throw err(calls.length);
      return 'ok';
    },
  };
}

describe('backoff: one way to wait between tries', () => {
  it('grows by the factor from firstMs and stops at the cap; factor 1 is a constant wait', () => {
    const p = { firstMs: 20, maxMs: 200 };
    expect([0, 1, 2, 3, 4, 5, 100, 1e9].map((a) => backoffMs(a, p))).to.deep.equal([20, 40, 80, 160, 200, 200, 200, 200]);
    expect([0, 1, 2].map((a) => backoffMs(a, { firstMs: 10, maxMs: 1000, factor: 3 }))).to.deep.equal([10, 30, 90]);
    expect([0, 1, 7].map((a) => backoffMs(a, fixedBackoff(250)))).to.deep.equal([250, 250, 250]);
  });

  it('full jitter draws from [0, the exact wait): random 0 gives 0, random near 1 nearly the exact wait, never above the cap', () => {
    const p = { firstMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect(backoffMs(2, p, () => 0)).to.equal(0);
    expect(backoffMs(2, p, () => 0.5)).to.equal(200);
    expect(backoffMs(2, p, () => 0.999)).to.be.within(399, 400);
    for (let a = 0; a < 20; a++) for (const r of [0, 0.3, 0.999]) expect(backoffMs(a, p, () => r)).to.be.within(0, 1000);
  });

  it('Backoff counts failures in a row and starts over after reset', () => {
    const b = new Backoff({ firstMs: 50, maxMs: 1000 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).to.deep.equal([50, 100, 200, 400, 800, 1000]);
    expect(b.count).to.equal(6);
    b.reset();
    expect(b.next()).to.equal(50);
  });

  it('retry: tries until fn succeeds, waiting the policy between tries', async () => {
    const time = fakeTime();
    const f = failing(3);
    const retried: number[] = [];
    const result = await retry(f.fn, { policy: { firstMs: 20, maxMs: 50 }, ...time, onRetry: (_e, ms) => retried.push(ms) });
    expect(result).to.equal('ok');
    expect(f.calls).to.deep.equal([0, 1, 2, 3]);
    expect(time.waits).to.deep.equal([20, 40, 50]);
    expect(retried).to.deep.equal([20, 40, 50]);
  });

  it('retry: an error shouldRetry refuses is thrown at once, without a wait', async () => {
    const time = fakeTime();
    const f = failing(5, (i) => Object.assign(new Error(`fail ${i}`), { code: i === 2 ? 'fatal' : 'busy' }));
    const err = await retry(f.fn, { policy: fixedBackoff(10), ...time, shouldRetry: (e) => (e as { code?: string }).code !== 'fatal' }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('fail 2');
    expect(f.calls).to.deep.equal([0, 1]);
    expect(time.waits).to.deep.equal([10]);
  });

  it('retry: stops after `attempts` tries in all and throws the last error', async () => {
    const time = fakeTime();
    const f = failing(10);
    const err = await retry(f.fn, { policy: fixedBackoff(200), attempts: 3, ...time }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('fail 3');
    expect(f.calls).to.deep.equal([0, 1, 2]);
    expect(time.waits).to.deep.equal([200, 200]);
  });

  it('retry: starts no try at or after the deadline (a wait that would reach it throws the last error)', async () => {
    const time = fakeTime(1000);
    const f = failing(10);
    const opts: RetryOptions = { policy: { firstMs: 20, maxMs: 200 }, deadlineMs: 1000 + 300, ...time };
    const err = await retry(f.fn, opts).catch((e: Error) => e);
    // tries at 1000, 1020, 1060, 1140; the next wait (160) would end at 1300: the deadline
    expect(f.calls).to.have.length(4);
    expect(time.waits).to.deep.equal([20, 40, 80]);
    expect((err as Error).message).to.equal('fail 4');
    expect(time.now()).to.be.below(1300);
  });
});
