import { expect } from 'chai';
import { checkRegistryStaleness, registrationLifetimes } from '../../src/check/registry-staleness.js';
import { ops, type OpSpec } from './history-builder.js';

const register = (p: number, id: string, t: [number, number], ttlMs?: number, status: 'ok' | 'info' = 'ok'): OpSpec => ({
  p,
  f: 'register',
  key: 'web',
  in: { instanceId: id, ...(ttlMs !== undefined ? { ttlMs } : {}) },
  t,
  status,
});
const deregister = (p: number, id: string, t: [number, number]): OpSpec => ({ p, f: 'deregister', key: 'web', in: { instanceId: id }, t });
const keepalive = (p: number, id: string, t: [number, number], status: 'ok' | 'info' = 'ok'): OpSpec => ({
  p,
  f: 'keepalive',
  key: 'web',
  in: { instanceId: id },
  t,
  status,
});
const lookup = (p: number, ids: string[], t: [number, number]): OpSpec => ({ p, f: 'lookup', key: 'web', out: { instances: ids }, t });

describe('registry staleness: lifetimes', () => {
  it('a deregistered instance is gone once its deregister completes', () => {
    const [lifetime] = registrationLifetimes(ops(register(0, 'i1', [0, 10]), deregister(0, 'i1', [100, 120])));
    expect([lifetime.goneByMs, lifetime.endedBy]).to.deep.equal([120, 'deregister']);
  });

  it('a leased instance is gone TTL after its last keepalive completed; an info keepalive adds at most one TTL', () => {
    const [plain] = registrationLifetimes(ops(register(0, 'i1', [0, 10], 500)));
    expect([plain.goneByMs, plain.endedBy]).to.deep.equal([510, 'lease']);
    const [kept] = registrationLifetimes(ops(register(0, 'i1', [0, 10], 500), keepalive(0, 'i1', [300, 320])));
    expect(kept.goneByMs).to.equal(820);
    const [maybe] = registrationLifetimes(ops(register(0, 'i1', [0, 10], 500), keepalive(0, 'i1', [300, 320], 'info')));
    expect(maybe.goneByMs).to.equal(1_010);
  });

  it('without a lease or a deregister an instance may live forever', () => {
    const [forever] = registrationLifetimes(ops(register(0, 'i1', [0, 10])));
    expect(forever.goneByMs).to.equal(Infinity);
  });
});

describe('registry staleness: known-good histories pass', () => {
  it('lookups during the registration and within the margin after it ends', () => {
    const result = checkRegistryStaleness(
      ops(register(0, 'i1', [0, 10]), lookup(1, ['i1'], [20, 30]), deregister(0, 'i1', [100, 120]), lookup(1, ['i1'], [600, 610]), lookup(1, [], [2_000, 2_010])),
      { marginMs: 500 },
    );
    expect(result.verdict, result.summary).to.equal('valid');
    expect(result.lookupsChecked).to.equal(3);
  });

  it('a deregister concurrent with the registration may have run first: no bound', () => {
    const result = checkRegistryStaleness(ops(register(0, 'i1', [0, 100]), deregister(1, 'i1', [50, 60]), lookup(2, ['i1'], [5_000, 5_010])));
    expect(result.verdict).to.equal('valid');
  });

  it('a re-registered instance is fresh again', () => {
    const result = checkRegistryStaleness(
      ops(register(0, 'i1', [0, 10]), deregister(0, 'i1', [100, 120]), register(0, 'i1', [3_000, 3_010]), lookup(1, ['i1'], [3_100, 3_110])),
    );
    expect(result.verdict).to.equal('valid');
  });
});

describe('registry staleness: known-bad histories are rejected', () => {
  it('a lookup returns an instance deregistered longer ago than the margin', () => {
    const result = checkRegistryStaleness(ops(register(0, 'i1', [0, 10]), deregister(0, 'i1', [100, 120]), lookup(1, ['i1'], [2_000, 2_010])), {
      marginMs: 500,
    });
    expect(result.verdict).to.equal('invalid');
    const example = result.counterExample!;
    expect(example.kind).to.equal('stale-instance');
    expect(example.ops.map((op) => op.f)).to.deep.equal(['register', 'deregister', 'lookup']);
    expect(example.description).to.contain('1880 ms after it was deregistered');
  });

  it('a lookup returns an instance whose lease expired (no keepalive since)', () => {
    const result = checkRegistryStaleness(
      ops(register(0, 'i1', [0, 10], 300), keepalive(0, 'i1', [200, 210]), lookup(1, ['i1'], [2_000, 2_010])),
      { marginMs: 500 },
    );
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.description).to.contain('lease ended by 510').and.contain('last keepalive #1');
  });

  it('a lookup returns an instance never registered', () => {
    const result = checkRegistryStaleness(ops(lookup(1, ['ghost'], [0, 10])));
    expect(result.counterExample!.kind).to.equal('unregistered-instance');
  });
});
