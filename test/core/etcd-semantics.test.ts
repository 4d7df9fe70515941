import { expect } from 'chai';
import { openDatabase } from '../../src/storage/database.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { applyCommand, type ApplyResult } from '../../src/core/state-machine.js';
import type { Command } from '../../src/core/commands.js';

/** What the etcd API needs of the state machine: spans, reads at a revision, etcd's txn rules, chosen lease ids. */
describe('state machine: etcd semantics', () => {
  let store: SqliteStateStore;
  let index = 0;
  const run = (c: Command): any => applyCommand(store, c, ++index).result as ApplyResult;
  const keys = (kvs: { key: string }[]): string[] => kvs.map((kv) => kv.key);
  beforeEach(() => {
    store = new SqliteStateStore(openDatabase(':memory:'));
    index = 0;
  });

  it('a span read: from a key on, up to an end, with a limit and the total count', () => {
    for (const k of ['a', 'b', 'c', 'd']) run({ op: 'put', key: k, value: k });
    expect(keys(store.rangeSpan({ key: 'b', end: null }).kvs)).to.deep.equal(['b', 'c', 'd']);
    expect(keys(store.rangeSpan({ key: '', end: 'c' }).kvs)).to.deep.equal(['a', 'b']);
    expect(store.rangeSpan({ key: 'a', end: null }, { limit: 1 })).to.deep.include({ count: 4 });
    expect(store.rangeSpan({ key: 'a', end: null }, { countOnly: true })).to.deep.equal({ kvs: [], count: 4 });
  });

  it('a read at a past revision sees the keys as they were: changed, deleted, recreated, or untouched since', () => {
    run({ op: 'put', key: 'a', value: 'a1' }); // 1
    run({ op: 'put', key: 'b', value: 'b1' }); // 2
    run({ op: 'put', key: 'c', value: 'c1' }); // 3
    run({ op: 'put', key: 'a', value: 'a2' }); // 4
    run({ op: 'delete', key: 'b' }); // 5
    run({ op: 'put', key: 'd', value: 'd1' }); // 6
    run({ op: 'delete', key: 'c' }); // 7
    run({ op: 'put', key: 'c', value: 'c2' }); // 8
    const at = (rev: number): string[] => store.rangeSpan({ key: '', end: null }, { revision: rev }).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}/v${kv.version}`);
    expect(at(3)).to.deep.equal(['a=a1@1/v1', 'b=b1@2/v1', 'c=c1@3/v1']);
    expect(at(5)).to.deep.equal(['a=a2@4/v2', 'c=c1@3/v1']);
    expect(at(7)).to.deep.equal(['a=a2@4/v2', 'd=d1@6/v1']);
    expect(at(8)).to.deep.equal(['a=a2@4/v2', 'c=c2@8/v1', 'd=d1@6/v1']);
    expect(store.rangeSpan({ key: 'c' }, { revision: 3 }).kvs[0].value).to.equal('c1');
  });

  it('compaction keeps each key\'s state at the compaction point: a read there still sees a key written long before', () => {
    run({ op: 'put', key: 'old', value: 'x' }); // 1, untouched until 6
    for (let i = 0; i < 4; i++) run({ op: 'put', key: 'busy', value: String(i) }); // 2..5
    run({ op: 'put', key: 'old', value: 'y' }); // 6
    run({ op: 'compact', revision: 4 });
    const kv = store.rangeSpan({ key: 'old' }, { revision: 4 }).kvs[0];
    expect(kv).to.deep.include({ value: 'x', modRevision: 1, createRevision: 1, version: 1 });
    expect(store.rangeSpan({ key: 'busy' }, { revision: 4 }).kvs[0].value).to.equal('2');
    // watches still start at the compaction point: nothing below it is delivered
    expect(store.events(4, 100, 100).map((e) => e.kv.modRevision)).to.deep.equal([4, 5, 6]);
  });

  it('compare: on one key as ccm always did; on a span (etcd), every key must pass and an empty span fails a value compare', () => {
    run({ op: 'put', key: 'k1', value: 'b' });
    run({ op: 'put', key: 'k2', value: 'c' });
    const holds = (compare: any[]): boolean => run({ op: 'txn', compare, success: [], failure: [] }).succeeded;
    expect(holds([{ key: 'missing', target: 'value', op: '!=', value: 'x' }])).to.equal(true);
    expect(holds([{ key: 'missing', end: 'missing\0', target: 'value', op: '!=', value: 'x' }])).to.equal(false);
    expect(holds([{ key: 'missing', end: 'missing\0', target: 'create', op: '=', value: 0 }])).to.equal(true);
    expect(holds([{ key: 'k', end: 'l', target: 'value', op: '>', value: 'a' }])).to.equal(true);
    expect(holds([{ key: 'k', end: 'l', target: 'value', op: '>', value: 'b' }])).to.equal(false);
    expect(holds([{ key: 'k1', target: 'value', op: '<', value: 'ba' }])).to.equal(true);
  });

  it('a nested txn decides on the state before the outer txn ran; a get after a put in the same txn sees the put', () => {
    run({ op: 'put', key: 'k', value: 'old' });
    const r = run({
      op: 'txn',
      compare: [],
      success: [
        { op: 'put', key: 'k', value: 'new' },
        { op: 'txn', compare: [{ key: 'k', target: 'value', op: '=', value: 'old' }], success: [{ op: 'put', key: 'seen', value: 'old' }], failure: [] },
        { op: 'get', key: 'k' },
        { op: 'get', key: 'k', revision: 1 },
      ],
      failure: [],
    });
    expect(r.succeeded).to.equal(true);
    expect(r.results[1]).to.deep.include({ op: 'txn', succeeded: true });
    expect(store.get('seen')!.value).to.equal('old');
    expect(r.results[2].kvs[0].value).to.equal('new');
    expect(r.results[3].kvs[0].value).to.equal('old');
  });

  it('a txn whose path holds a put on a missing lease fails whole, as does a read at a compacted or future revision', () => {
    run({ op: 'put', key: 'k', value: 'v' });
    const nested = { op: 'txn' as const, compare: [], success: [{ op: 'put' as const, key: 'x', value: '1', lease: 999 }], failure: [] };
    expect(run({ op: 'txn', compare: [], success: [{ op: 'delete', key: 'k' }, nested], failure: [] })).to.deep.include({ op: 'error', code: 'not_found', details: { lease: 999 } });
    expect(store.get('k')!.value).to.equal('v');
    expect(run({ op: 'txn', compare: [], success: [{ op: 'get', key: 'k', revision: 50 }], failure: [] })).to.deep.include({ code: 'invalid_argument', details: { reason: 'future-revision' } });
    run({ op: 'put', key: 'k', value: 'w' });
    run({ op: 'compact', revision: 2 });
    expect(run({ op: 'txn', compare: [], success: [{ op: 'get', key: 'k', revision: 1 }], failure: [] })).to.include({ code: 'compacted' });
    expect(store.revision()).to.equal(2);
  });

  it('put with ignoreValue / ignoreLease keeps what the key has; on a missing key it fails', () => {
    const lease = run({ op: 'lease-grant', ttlMs: 5000, atMs: 1 }).id;
    run({ op: 'put', key: 'k', value: 'v', lease });
    run({ op: 'put', key: 'k', value: '', ignoreValue: true, ignoreLease: true });
    expect(store.get('k')).to.deep.include({ value: 'v', lease, version: 2 });
    run({ op: 'put', key: 'k', value: 'w', ignoreLease: true });
    expect(store.get('k')).to.deep.include({ value: 'w', lease });
    expect(run({ op: 'put', key: 'nope', value: '', ignoreValue: true })).to.deep.include({ code: 'not_found', details: { key: 'nope' } });
  });

  it('delete of a span returns what it deleted, and can leave ccm\'s own keys alone', () => {
    run({ op: 'put', key: '/a', value: '1' });
    run({ op: 'put', key: '/ccm/locks/x', value: '{}' });
    run({ op: 'put', key: '/z', value: '2' });
    const r = run({ op: 'delete', key: '', end: null, prevKvs: true, keepReserved: true });
    expect(r.deleted).to.equal(2);
    expect(keys(r.prev)).to.deep.equal(['/a', '/z']);
    expect(keys(store.rangeSpan({ key: '', end: null }).kvs)).to.deep.equal(['/ccm/locks/x']);
  });

  it('a lease with a chosen id; the same id again is refused; a later automatic id steps over it', () => {
    expect(run({ op: 'lease-grant', ttlMs: 5000, atMs: 1, id: 3 })).to.include({ id: 3 });
    expect(run({ op: 'lease-grant', ttlMs: 5000, atMs: 1, id: 3 })).to.deep.include({ op: 'error', code: 'already_exists', details: { lease: 3 } });
    // the next entry is index 3, taken by the chosen id: the grant gets 4
    expect(run({ op: 'lease-grant', ttlMs: 5000, atMs: 1 })).to.include({ id: 4 });
  });

  it('compact says where the compaction point was, so a request at or below it can be told apart', () => {
    for (let i = 0; i < 5; i++) run({ op: 'put', key: 'k', value: String(i) });
    expect(run({ op: 'compact', revision: 3 })).to.deep.equal({ op: 'compact', revision: 3, previous: 0 });
    expect(run({ op: 'compact', revision: 2 })).to.deep.equal({ op: 'compact', revision: 3, previous: 3 });
  });
});
