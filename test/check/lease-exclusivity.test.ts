import { expect } from 'chai';
import { checkLeaseExclusivity, leaseHolds } from '../../src/check/lease-exclusivity.js';
import { ops } from './history-builder.js';

const acquire = (p: number, t: [number, number], token: number | undefined, ttlMs = 1_000, status: 'ok' | 'info' | 'fail' = 'ok') => ({
  p,
  f: 'acquire',
  key: 'lock',
  in: { ttlMs },
  out: status === 'ok' ? { token } : 'timeout',
  t,
  status,
});
const release = (p: number, t: [number, number], status: 'ok' | 'info' | 'fail' = 'ok') => ({ p, f: 'release', key: 'lock', in: {}, t, status });

describe('lease exclusivity: holders and hold intervals', () => {
  it('a hold certainly runs from the acquire’s completion to the release’s invocation', () => {
    const [hold] = leaseHolds(ops(acquire(0, [0, 10], 1), release(0, [100, 110])));
    expect([hold.startMs, hold.endMs, hold.endReason, hold.token]).to.deep.equal([10, 100, 'release', 1]);
  });

  it('without a release, until acquire invocation + TTL; an ok renew extends it to renew invocation + TTL', () => {
    const [plain] = leaseHolds(ops(acquire(0, [5, 10], 1, 300)));
    expect([plain.endMs, plain.endReason]).to.deep.equal([305, 'expiry']);
    const [renewed] = leaseHolds(ops(acquire(0, [5, 10], 1, 300), { p: 0, f: 'renew', key: 'lock', in: { token: 1 }, t: [200, 220] }));
    expect(renewed.endMs).to.equal(500);
    const [failedRenew] = leaseHolds(
      ops(acquire(0, [5, 10], 1, 300), { p: 0, f: 'renew', key: 'lock', in: { token: 1 }, t: [200, 220], status: 'fail' }),
    );
    expect(failedRenew.endMs).to.equal(305);
  });
});

describe('lease exclusivity: known-good histories pass', () => {
  it('a hand-over: B asks while A holds, A releases, B is granted', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 1), acquire(1, [50, 130], 2), release(0, [100, 110])));
    expect(result.verdict, result.summary).to.equal('valid');
    expect(result.holds).to.have.length(2);
  });

  it('a hand-over by expiry: A never releases, B is granted after A’s TTL', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 1, 100), acquire(1, [150, 160], 2, 100)));
    expect(result.verdict).to.equal('valid');
  });

  it('an info acquire may or may not have been granted: never a certain holder', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], undefined, 1_000, 'info'), acquire(1, [20, 30], 2)));
    expect(result.verdict).to.equal('valid');
    expect(result.holds.map((h) => h.process)).to.deep.equal([1]);
  });

  it('fenced uses with increasing tokens', () => {
    const result = checkLeaseExclusivity(
      ops(
        acquire(0, [0, 10], 1, 50),
        { p: 0, f: 'use', key: 'lock', in: { token: 1 }, t: [20, 30] },
        acquire(1, [100, 110], 2, 50),
        { p: 1, f: 'use', key: 'lock', in: { token: 2 }, t: [120, 130] },
        { p: 0, f: 'use', key: 'lock', in: { token: 1 }, t: [140, 150], status: 'fail' },
      ),
    );
    expect(result.verdict).to.equal('valid');
  });
});

describe('lease exclusivity: known-bad histories are rejected', () => {
  it('two holders at once (B granted while A certainly still holds)', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 1), acquire(1, [20, 30], 2), release(0, [100, 110])));
    expect(result.verdict).to.equal('invalid');
    const example = result.counterExample!;
    expect(example.kind).to.equal('overlapping-holders');
    expect(example.ops.slice(0, 2).map((op) => op.process)).to.deep.equal([0, 1]);
    expect(example.description).to.contain('from 30 to 100');
  });

  it('two holders at once when A’s TTL had not run out', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 1, 100), acquire(1, [50, 60], 2, 100)));
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.kind).to.equal('overlapping-holders');
  });

  it('a release that failed did not end the hold', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 1), release(0, [20, 30], 'fail'), acquire(1, [40, 50], 2)));
    expect(result.verdict).to.equal('invalid');
  });

  it('a fencing token that does not increase', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 5, 50), acquire(1, [100, 110], 3, 50)));
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.kind).to.equal('token-not-increasing');
    expect(result.counterExample!.description).to.contain('token 5').and.contain('token 3');
  });

  it('a fencing token granted twice', () => {
    const result = checkLeaseExclusivity(ops(acquire(0, [0, 10], 4, 50), acquire(1, [100, 110], 4, 50)));
    expect(result.violations.map((v) => v.kind)).to.deep.equal(['duplicate-token']);
  });

  it('the resource accepting a stale token after a newer one', () => {
    const result = checkLeaseExclusivity(
      ops(
        acquire(0, [0, 10], 1, 50),
        acquire(1, [100, 110], 2, 50),
        { p: 1, f: 'use', key: 'lock', in: { token: 2 }, t: [120, 130] },
        { p: 0, f: 'use', key: 'lock', in: { token: 1 }, t: [140, 150] },
      ),
    );
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.kind).to.equal('stale-token-accepted');
    expect(result.counterExample!.ops.map((op) => op.input)).to.deep.equal([{ token: 2 }, { token: 1 }]);
  });

  it('a fenced write accepted after a newer grant completed, though no newer write came first (the core let a stale token through)', () => {
    const result = checkLeaseExclusivity(
      ops(
        acquire(0, [0, 10], 1, 50),
        acquire(1, [100, 110], 2, 50),
        { p: 0, f: 'write', key: 'lock', in: { token: 1 }, out: { revision: 9 }, t: [120, 130] },
      ),
    );
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.kind).to.equal('stale-token-accepted');
    expect(result.counterExample!.description).to.match(/stale token 1 .* after a newer grant/);
    expect(result.counts).to.deep.equal({ resources: 1, grants: 2, writesAccepted: 1, writesRefusedStale: 0 });
  });

  it('a write with a released token, accepted after a newer grant (a paused holder waking up)', () => {
    const result = checkLeaseExclusivity(
      ops(
        acquire(0, [0, 10], 1, 5000),
        { p: 0, f: 'release', key: 'lock', in: { token: 1 }, t: [20, 30] },
        acquire(1, [25, 35], 2, 5000),
        { p: 0, f: 'write', key: 'lock', in: { token: 1 }, t: [40, 50] },
      ),
    );
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.description).to.match(/stale token 1 .* after a newer grant/);
  });
});

describe('lease exclusivity: fenced writes the core refused or accepted in order pass, with counts', () => {
  it('the old holder\'s write refused as stale, the new one\'s accepted; a write racing the grant (overlapping it) is not flagged', () => {
    const result = checkLeaseExclusivity(
      ops(
        acquire(0, [0, 10], 1, 50),
        { p: 0, f: 'write', key: 'lock', in: { token: 1 }, t: [20, 30] },
        acquire(1, [100, 110], 2, 50),
        { p: 0, f: 'write', key: 'lock', in: { token: 1 }, out: { error: 'stale_token' }, t: [120, 130], status: 'fail' },
        { p: 2, f: 'write', key: 'lock', in: { token: 1 }, t: [95, 105] },
        { p: 1, f: 'write', key: 'lock', in: { token: 2 }, t: [140, 150] },
        { p: 1, f: 'release', key: 'lock', in: { token: 2 }, t: [160, 170] },
        // released, and no newer grant yet: its token is still the newest, nobody else can write
        { p: 1, f: 'write', key: 'lock', in: { token: 2 }, t: [180, 190] },
      ),
    );
    expect(result.verdict, result.summary).to.equal('valid');
    expect(result.counts).to.deep.equal({ resources: 1, grants: 2, writesAccepted: 4, writesRefusedStale: 1 });
    expect(result.summary).to.match(/2 grants, 4 fenced writes accepted, 1 refused as stale/);
  });
});
