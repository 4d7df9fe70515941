import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase } from '../../src/storage/database.js';
import { SqliteRaftStorage } from '../../src/storage/raft-storage.js';
import { CompactedError, UnavailableError, type Entry } from '../../src/raft/index.js';

const e = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: `d${index}` });

describe('SQLite Raft storage', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-rs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = (file = path.join(dir, 'state.db')) => {
    const db = openDatabase(file);
    const conf = { voters: ['n1'], learners: [] };
    return { db, storage: new SqliteRaftStorage(db, () => conf, () => ({ meta: { index: 0, term: 0, confState: conf }, data: '' })) };
  };

  it('appends, answers terms and ranges, and replaces a conflicting suffix', () => {
    const { storage } = open();
    storage.append([e(1, 1), e(2, 1), e(3, 2), e(4, 2)]);
    expect(storage.lastIndex()).to.equal(4);
    expect(storage.term(3)).to.equal(2);
    expect(storage.entries(2, 4).map((x) => x.index)).to.deep.equal([2, 3]);
    storage.append([e(3, 3)]);
    expect(storage.lastIndex()).to.equal(3);
    expect(storage.term(3)).to.equal(3);
    expect(() => storage.term(4)).to.throw(UnavailableError);
    expect(() => storage.entries(1, 5)).to.throw(UnavailableError);
  });

  it('limits entries by bytes but returns at least one', () => {
    const { storage } = open();
    storage.append([e(1, 1), e(2, 1), e(3, 1)]);
    expect(storage.entries(1, 4, 1)).to.have.length(1);
  });

  it('compaction moves the first index and keeps the compaction point term', () => {
    const { storage } = open();
    storage.append([1, 2, 3, 4, 5].map((i) => e(i, 1 + Math.floor(i / 3))));
    storage.compact(3);
    expect(storage.firstIndex()).to.equal(4);
    expect(storage.term(3)).to.equal(2);
    expect(() => storage.term(2)).to.throw(CompactedError);
    expect(() => storage.entries(3, 5)).to.throw(CompactedError);
    expect(storage.entries(4, 6).map((x) => x.data)).to.deep.equal(['d4', 'd5']);
  });

  it('recovers the log, hard state and compaction point from disk after a restart', () => {
    const file = path.join(dir, 'state.db');
    const a = open(file);
    a.db.transaction(() => {
      a.storage.append([1, 2, 3, 4, 5, 6].map((i) => e(i, i < 4 ? 1 : 2)));
      a.storage.setHardState({ term: 2, vote: 'n1', commit: 5 });
      a.storage.compact(2);
    })();
    a.db.close();
    const b = open(file);
    expect(b.storage.initialState().hardState).to.deep.equal({ term: 2, vote: 'n1', commit: 5 });
    expect([b.storage.firstIndex(), b.storage.lastIndex(), b.storage.term(2), b.storage.term(6)]).to.deep.equal([3, 6, 1, 2]);
    expect(b.storage.entries(3, 7).map((x) => x.index)).to.deep.equal([3, 4, 5, 6]);
  });

  it('a snapshot replaces the whole log', () => {
    const { storage } = open();
    storage.append([e(1, 1), e(2, 1)]);
    storage.installSnapshot(10, 4);
    expect([storage.firstIndex(), storage.lastIndex(), storage.term(10)]).to.deep.equal([11, 10, 4]);
    storage.append([e(11, 4)]);
    expect(storage.entries(11, 12)[0].data).to.equal('d11');
  });

  it('serves old entries from the database once they leave the memory cache', () => {
    const { db, storage } = open();
    const all = Array.from({ length: 10_000 }, (_, i) => e(i + 1, 1));
    db.transaction(() => storage.append(all))();
    expect(storage.entries(5, 8).map((x) => x.data)).to.deep.equal(['d5', 'd6', 'd7']);
    expect(storage.entries(9_998, 10_001).map((x) => x.data)).to.deep.equal(['d9998', 'd9999', 'd10000']);
  });

  it('bounds the memory cache in bytes, and reads a far-behind range from the database only up to maxBytes', () => {
    const { db, storage } = open();
    const mib = 'm'.repeat(1024 * 1024);
    const big = Array.from({ length: 40 }, (_, i) => ({ index: i + 1, term: 1, kind: 'normal' as const, data: mib + i }));
    db.transaction(() => storage.append(big))();
    expect(storage.cachedBytes()).to.be.at.most(16 * 1024 * 1024 + 1024);
    expect(storage.sizeBytes()).to.be.greaterThan(40 * 1024 * 1024);
    // From the database: one message's worth (at least one entry), not the rest of the log.
    const read = storage.entries(2, 41, 3 * 1024 * 1024);
    expect(read.map((x) => x.index)).to.deep.equal([2, 3]);
    expect(read[1].data).to.equal(mib + 2);
    expect(storage.entries(2, 41, 1).map((x) => x.index)).to.deep.equal([2]);
  });

  it('compactionPoint: past either threshold (entries or bytes), keeps the trailing entries within both trailing bounds', () => {
    const { db, storage } = open();
    const kib = 'k'.repeat(1000); // 1024 bytes with the entry overhead
    db.transaction(() => storage.append(Array.from({ length: 100 }, (_, i) => ({ index: i + 1, term: 1, kind: 'normal' as const, data: kib }))))();
    const policy = { thresholdEntries: 1000, thresholdBytes: 1_000_000, trailingEntries: 20, trailingBytes: 1_000_000 };
    expect(storage.compactionPoint(100, policy), 'under both thresholds').to.equal(null);
    expect(storage.compactionPoint(100, { ...policy, thresholdEntries: 50 }), 'past the entry threshold').to.equal(80);
    expect(storage.compactionPoint(100, { ...policy, thresholdBytes: 50 * 1024 }), 'past the byte threshold').to.equal(80);
    // The trailing bytes bound keeps fewer than trailingEntries when entries are large.
    expect(storage.compactionPoint(100, { ...policy, thresholdEntries: 50, trailingBytes: 5 * 1024 })).to.equal(95);
    // Only applied entries count: 60 applied of 100 is under a 70-entry threshold.
    expect(storage.compactionPoint(60, { ...policy, thresholdEntries: 70 })).to.equal(null);
    db.transaction(() => storage.compact(80))();
    expect(storage.sizeBytes()).to.equal(20 * 1024);
    expect(storage.compactionPoint(100, { ...policy, thresholdEntries: 50 }), 'nothing more to compact').to.equal(null);
  });
});
