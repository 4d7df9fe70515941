import { expect } from 'chai';
import fc from 'fast-check';
import { applyCommandData, MAX_WAITERS_PER_RESOURCE, type Applied } from '../../src/core/state-machine.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase } from '../../src/storage/database.js';
import { commandProblem } from '../../src/core/command-schemas.js';

/**
 * Apply is total (issue 11): whatever a Raft log holds, every replica applies it the same way and none throws. The
 * commands are drawn from a small world (a few keys, resources, lease ids) so that they meet each other, then some
 * are broken the ways a hostile or buggy proposer would break them.
 */
const key = fc.constantFrom('/a', '/b', '/a/x', '/ccm/locks/r1', '/ccm/lock-queue/r1/0000000000000001', '/ccm/config/c');
const resource = fc.constantFrom('r1', 'r2', 'bad name!', '');
const leaseId = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, -1, 2 ** 53, 1.5, Number.MAX_SAFE_INTEGER));
const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('{"holder":"h","lease":3}', 'not json', '\uD800'));
const ttl = fc.oneof(fc.integer({ min: 1000, max: 60_000 }), fc.constantFrom(0, 999, 8 * 24 * 3_600_000));
const compare = fc.record({ key, target: fc.constantFrom('mod', 'create', 'version', 'lease', 'value'), op: fc.constantFrom('=', '!=', '<', '>'), value: fc.oneof(fc.nat(20), value) });
const txnOp = fc.oneof(
  fc.record({ op: fc.constant('put'), key, value }, { requiredKeys: ['op', 'key', 'value'] }),
  fc.record({ op: fc.constant('delete'), key, prefix: fc.boolean() }),
  fc.record({ op: fc.constant('get'), key, prefix: fc.boolean() }),
);

const wellShaped = fc.oneof(
  fc.record({ op: fc.constant('put'), key, value, lease: leaseId }, { requiredKeys: ['op', 'key', 'value'] }),
  fc.record({ op: fc.constant('delete'), key, prefix: fc.boolean() }),
  fc.record({ op: fc.constant('txn'), compare: fc.array(compare, { maxLength: 3 }), success: fc.array(txnOp, { maxLength: 3 }), failure: fc.array(txnOp, { maxLength: 2 }) }),
  fc.record({ op: fc.constant('lease-grant'), ttlMs: ttl, owner: fc.string({ maxLength: 4 }), atMs: fc.integer() }),
  fc.record({ op: fc.constant('lease-renew'), id: leaseId, atMs: fc.integer(), resource }, { requiredKeys: ['op', 'id', 'atMs'] }),
  fc.record({ op: fc.constant('lease-revoke'), id: leaseId }),
  fc.record({ op: fc.constant('lease-expire'), id: leaseId, renewals: fc.nat(3) }),
  fc.record({ op: fc.constant('acquire'), resource, holder: fc.constantFrom('h1', 'h2', ''), ttlMs: ttl, wait: fc.boolean(), atMs: fc.integer() }),
  fc.record({ op: fc.constant('release'), resource, lease: leaseId }),
  fc.record({ op: fc.constant('compact'), revision: fc.nat(30) }),
);

/** A command broken one way: a field dropped, retyped, made huge, or the whole thing replaced. */
const broken = fc.tuple(wellShaped, fc.nat(), fc.constantFrom<unknown>(null, 'x', -1, 1e308, 2 ** 60, [], {}, true, [[[[[]]]]], { op: 'put' })).map(([c, i, junk]) => {
  const keys = Object.keys(c);
  const victim = keys[i % keys.length];
  const copy: Record<string, unknown> = { ...c };
  if (i % 3 === 0) delete copy[victim];
  else copy[victim] = junk;
  return copy;
});

const entryData = fc.oneof(
  { weight: 6, arbitrary: wellShaped.map((c) => JSON.stringify(c)) },
  { weight: 3, arbitrary: broken.map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.json({ maxDepth: 3 }), fc.constantFrom('', 'null', '[]', '{"op":"bogus"}', '{'.repeat(50))) },
);

function replay(log: string[]): { results: Applied['result'][]; state: unknown } {
  const store = new SqliteStateStore(openDatabase(':memory:'));
  const results = log.map((data, i) => applyCommandData(store, data, i + 1).result);
  return { results, state: store.dump() };
}

describe('apply is total: any log, every replica, the same outcome, never a throw', () => {
  it('two fresh replicas applying the same arbitrary commands end with identical state and results', () => {
    fc.assert(
      fc.property(fc.array(entryData, { maxLength: 40 }), (log) => {
        const a = replay(log);
        const b = replay(log);
        expect(b.results).to.deep.equal(a.results);
        expect(b.state).to.deep.equal(a.state);
      }),
      { numRuns: 100, seed: 11 },
    );
  });

  it('an entry that is not a valid command applies as an invalid_argument error naming the problem, and changes nothing', () => {
    fc.assert(
      fc.property(fc.array(wellShaped.map((c) => JSON.stringify(c)), { maxLength: 10 }), broken, (prefix, bad) => {
        const store = new SqliteStateStore(openDatabase(':memory:'));
        prefix.forEach((d, i) => applyCommandData(store, d, i + 1));
        const before = store.dump();
        const data = JSON.stringify(bad);
        const applied = applyCommandData(store, data, prefix.length + 1);
        if (commandProblem(bad) === undefined) return; // the mutation happened to leave a valid command
        expect(applied.result).to.include({ op: 'error', code: 'invalid_argument' });
        expect(applied.rejected).to.be.a('string');
        expect(store.dump()).to.deep.equal(before);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('no put, top-level or in a txn, may write the lease manager\'s own keys (their values must stay readable)', () => {
    expect(commandProblem({ op: 'put', key: '/ccm/locks/r', value: 'garbage' })).to.match(/lease manager only/);
    expect(commandProblem({ op: 'txn', compare: [], success: [{ op: 'put', key: '/ccm/lock-queue/r/1', value: 'x' }], failure: [] })).to.match(/lease manager only/);
    expect(commandProblem({ op: 'txn', compare: [], success: [{ op: 'delete', key: '/ccm/locks/r' }], failure: [] })).to.equal(undefined);
  });
});

describe('bounds the state machine keeps', () => {
  it(`a resource queues at most MAX_WAITERS_PER_RESOURCE waiters; one more is refused with resource_exhausted, on every replica alike`, () => {
    const store = new SqliteStateStore(openDatabase(':memory:'));
    let index = 0;
    const acquire = (holder: string) => applyCommandData(store, JSON.stringify({ op: 'acquire', resource: 'r', holder, ttlMs: 5000, wait: true, atMs: 0 }), ++index).result;
    expect(acquire('owner')).to.include({ op: 'acquire', granted: true });
    expect(acquire('w0')).to.include({ granted: false, queued: true, position: 1 });
    // The rest of a full queue, as acquires would leave it (written directly: a thousand acquires take seconds).
    for (let i = 1; i < MAX_WAITERS_PER_RESOURCE; i++) {
      const key = `/ccm/lock-queue/r/${String(1000 + i).padStart(16, '0')}`;
      store.put({ key, value: JSON.stringify({ holder: `w${i}`, lease: 1 }), createRevision: 1000 + i, modRevision: 1000 + i, version: 1, lease: 1 });
    }
    const refused = acquire('one-too-many');
    expect(refused).to.include({ op: 'error', code: 'resource_exhausted' });
    expect((refused as { message: string }).message).to.match(/1024 waiters/);
  });
});
