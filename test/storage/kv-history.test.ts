import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import { applyCommand } from '../../src/core/state-machine.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { lastChangeRevision, rangeAtRevision } from '../../src/storage/kv-history.js';

describe('kv history: reads as of an earlier revision (kv get --rev, --prev)', () => {
  let db: SqliteDatabase;
  let store: SqliteStateStore;
  let index = 0;
  const run = (c: Command): void => void applyCommand(store, c, ++index);
  const at = (key: string, prefix: boolean, revision: number): string[] | string => {
    const r = rangeAtRevision(db, store, key, prefix, revision);
    return 'lostKey' in r ? `lost ${r.lostKey}` : r.kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}v${kv.version}`);
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
    expect(at('/a', false, 3)).to.deep.equal(['/a=2@3v2']);
    expect(at('/b', false, 5)).to.deep.equal([]);
  });

  it('prev: the revision of the last change, one before it is the value before', () => {
    expect(lastChangeRevision(db, '/a')).to.equal(6);
    expect(at('/a', false, lastChangeRevision(db, '/a')! - 1)).to.deep.equal(['/a=2@3v2']);
    expect(lastChangeRevision(db, '/nope')).to.equal(null);
  });

  it('a value older than the kept history is not guessed (the caller refuses the compacted past and the future)', () => {
    run({ op: 'compact', revision: 4 });
    // /c unchanged since: as now; /b deleted at 4 (kept): absent at 4, then put at 6
    expect(at('/c', false, 5)).to.deep.equal(['/c=1@5v1']);
    expect(at('/b', false, 4)).to.deep.equal([]);
    // /a at 4: its value then (written at 3) is before the compaction point, but compaction keeps each key's last put
    // below it (as etcd does, so a read at the compaction point is whole); it changed again at 6
    expect(at('/a', false, 4)).to.deep.equal(['/a=2@3v2']);
    expect(at('/', true, 4)).to.deep.equal(['/a=2@3v2']);
  });
});
