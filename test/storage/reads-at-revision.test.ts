import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import { prefixSpan } from '../../src/core/key-span.js';
import { withPrevKv } from '../../src/core/prev-kv.js';
import { applyCommand, type ApplyResult } from '../../src/core/state-machine.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';

/**
 * The store as it was at an earlier revision: one rule for `ccm kv get --rev/--prev` and etcd's Range (and a txn's
 * get) at a revision.
 */
describe('state store: reads as of an earlier revision (kv get --rev/--prev, etcd Range at a revision)', () => {
  let db: SqliteDatabase;
  let store: SqliteStateStore;
  let index = 0;
  const run = (c: Command): ApplyResult => applyCommand(store, c, ++index).result;
  const show = (kvs: { key: string; value: string; modRevision: number; version: number }[]): string[] => kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}v${kv.version}`);
  const at = (key: string, prefix: boolean, revision: number): string[] | string => {
    try {
      return show(store.rangeSpan(prefix ? prefixSpan(key) : { key }, { revision }).kvs);
    } catch (err) {
      if (err instanceof CcmError && err.code === 'compacted') return `lost ${(err.details as { key: string }).key}`;
      throw err;
    }
  };
  /** Compaction as ccm did it before migration 5: every event below the point dropped, each key's last put too. */
  const compactDroppingLastPuts = (revision: number): void => {
    run({ op: 'compact', revision });
    db.prepare('DELETE FROM kv_events WHERE revision < ?').run(revision);
    store.reload();
  };

  beforeEach(() => {
    db = openDatabase(':memory:');
    store = new SqliteStateStore(db);
    index = 0;
    run({ op: 'put', key: '/a', value: '1' }); // rev 1
    run({ op: 'put', key: '/b', value: '1' }); // rev 2
    run({ op: 'put', key: '/a', value: '2' }); // rev 3
    run({ op: 'delete', key: '/b' }); // rev 4
    run({ op: 'put', key: '/c', value: '1' }); // rev 5
    run({ op: 'txn', compare: [], success: [{ op: 'put', key: '/a', value: '3' }, { op: 'put', key: '/b', value: '2' }], failure: [] }); // rev 6
  });

  it('each key as its last change at or before the revision left it; keys created later are absent', () => {
    expect(at('/', true, 1)).to.deep.equal(['/a=1@1v1']);
    expect(at('/', true, 2)).to.deep.equal(['/a=1@1v1', '/b=1@2v1']);
    expect(at('/', true, 4)).to.deep.equal(['/a=2@3v2']);
    expect(at('/', true, 5)).to.deep.equal(['/a=2@3v2', '/c=1@5v1']);
    expect(at('/', true, 6)).to.deep.equal(['/a=3@6v3', '/b=2@6v1', '/c=1@5v1']);
    expect(at('', true, 2)).to.deep.equal(['/a=1@1v1', '/b=1@2v1']);
    expect(at('/a', false, 3)).to.deep.equal(['/a=2@3v2']);
    expect(at('/b', false, 5)).to.deep.equal([]);
    expect(store.rangeSpan(prefixSpan('/'), { revision: 5, limit: 1 })).to.deep.include({ count: 2 });
  });

  it('prev: the revision of the last change, one before it is the value before', () => {
    expect(store.lastChangeRevision('/a')).to.equal(6);
    expect(at('/a', false, store.lastChangeRevision('/a')! - 1)).to.deep.equal(['/a=2@3v2']);
    expect(store.lastChangeRevision('/nope')).to.equal(null);
  });

  it('compaction keeps each key\'s state at the compaction point, so every revision kept is answered', () => {
    run({ op: 'compact', revision: 4 });
    // /c unchanged since: as now; /b deleted at 4 (kept): absent at 4, then put at 6
    expect(at('/c', false, 5)).to.deep.equal(['/c=1@5v1']);
    expect(at('/b', false, 4)).to.deep.equal([]);
    // /a at 4: its value then (written at 3) is before the compaction point, but compaction keeps each key's last put
    // below it (as etcd does, so a read at the compaction point is whole); it changed again at 6
    expect(at('/a', false, 4)).to.deep.equal(['/a=2@3v2']);
    expect(at('/', true, 4)).to.deep.equal(['/a=2@3v2']);
  });

  it('a key whose state then is older than the kept history (a log compacted before migration 5) fails as compacted, never read as absent', () => {
    run({ op: 'put', key: '/d', value: '1' }); // rev 7
    run({ op: 'put', key: '/e', value: '1' }); // rev 8
    compactDroppingLastPuts(8); // /a, /b (6), /c (5), /d (7) keep no event; /e keeps its put at 8
    run({ op: 'put', key: '/a', value: '4' }); // rev 9: /a was 3 at 8
    run({ op: 'delete', key: '/b' }); // rev 10: /b was 2 at 8
    run({ op: 'put', key: '/f', value: '1' }); // rev 11: created after 8
    run({ op: 'put', key: '/e', value: '2' }); // rev 12
    // etcd would answer /a=3 here; its value is no longer known, so the read says so (with the key and the point)
    expect(() => store.rangeSpan({ key: '/a' }, { revision: 8 })).to.throw(CcmError, '/a at revision 8 was last written before the oldest revision kept (8)');
    try {
      store.rangeSpan({ key: '/a' }, { revision: 8 });
    } catch (err) {
      expect(err).to.deep.include({ code: 'compacted', details: { compactRevision: 8, revision: 8, key: '/a' } });
    }
    expect(at('/b', false, 8)).to.equal('lost /b');
    expect(at('/', true, 8)).to.equal('lost /a'); // the first such key in key order
    expect(at('/', true, 8 + 1)).to.equal('lost /b');
    // unchanged since: as now; created later: absent; changed later with its state kept: that state
    expect(at('/c', false, 8)).to.deep.equal(['/c=1@5v1']);
    expect(at('/d', false, 8)).to.deep.equal(['/d=1@7v1']);
    expect(at('/f', false, 8)).to.deep.equal([]);
    expect(at('/e', false, 8)).to.deep.equal(['/e=1@8v1']);
    expect(at('/', true, 10)).to.deep.equal(['/a=4@9v4', '/c=1@5v1', '/d=1@7v1', '/e=1@8v1']);
  });

  it("a txn's get at such a revision fails the txn before it writes anything; a get of a key the txn writes sees the state before it", () => {
    run({ op: 'put', key: '/z', value: '1' }); // rev 7
    compactDroppingLastPuts(7); // only /z keeps an event
    run({ op: 'put', key: '/a', value: '4' }); // rev 8: /a was 3 at 7
    const failed = run({ op: 'txn', compare: [], success: [{ op: 'put', key: '/x', value: '1' }, { op: 'get', key: '/', prefix: true, revision: 7 }], failure: [] });
    expect(failed).to.deep.include({ op: 'error', code: 'compacted', details: { compactRevision: 7, revision: 7, key: '/a' } });
    expect(store.get('/x')).to.equal(undefined);
    expect(store.revision()).to.equal(8);
    // /c has no event kept, but has not changed since 7: the get sees it, though the txn's put comes first
    const txn = run({ op: 'txn', compare: [], success: [{ op: 'put', key: '/c', value: '2' }, { op: 'get', key: '/c', revision: 7 }], failure: [] });
    expect(txn).to.deep.include({ op: 'txn', succeeded: true, revision: 9 });
    const got = (txn as Extract<ApplyResult, { op: 'txn' }>).results[1];
    expect(got.op === 'get' ? show(got.kvs) : got).to.deep.equal(['/c=1@5v1']);
    expect(store.get('/c')?.value).to.equal('2');
  });

  it("a watch's prev_kv for such a key is none (as for a compacted revision), and asking does not throw", () => {
    run({ op: 'put', key: '/z', value: '1' }); // rev 7
    compactDroppingLastPuts(7);
    run({ op: 'put', key: '/a', value: '4' }); // rev 8: /a was 3 at 7, no event of it kept
    const [event] = store.events(8, 8, 10);
    expect(withPrevKv(store, event)).to.equal(event);
    run({ op: 'put', key: '/a', value: '5' }); // rev 9: its state at 8 is kept
    const [next] = store.events(9, 9, 10);
    expect(withPrevKv(store, next).prev).to.deep.include({ value: '4', modRevision: 8 });
  });
});
