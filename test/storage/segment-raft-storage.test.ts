import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { SqliteRaftStorage } from '../../src/storage/raft-storage.js';
import { SegmentRaftStorage, encodeEntryRecord } from '../../src/storage/segment-raft-storage.js';
import { openRaftLogStorage, RAFT_LOG_DIR_NAME } from '../../src/storage/raft-log-store.js';
import { CorruptLogError, SegmentLog } from '../../src/storage/segment-log.js';
import { CompactedError, UnavailableError, type Entry } from '../../src/raft/index.js';

const e = (index: number, term: number, data = `d${index}`): Entry => ({ index, term, kind: 'normal', data });
const conf = { voters: ['n1'], learners: [] };
const snap = () => ({ meta: { index: 0, term: 0, confState: conf }, data: '' });

describe('segment Raft storage (SQLite for the compaction point, segment files for the log)', () => {
  let dataDir: string;
  let dbs: SqliteDatabase[] = [];
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-srs-'))));
  afterEach(() => {
    for (const db of dbs) if (db.open) db.close();
    dbs = [];
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const logDir = () => path.join(dataDir, RAFT_LOG_DIR_NAME);
  const open = (opts: { segmentBytes?: number; appliedIndex?: number } = {}) => {
    const db = openDatabase(path.join(dataDir, 'state.db'));
    dbs.push(db);
    const storage = new SegmentRaftStorage(db, logDir(), () => conf, snap, { segmentBytes: opts.segmentBytes ?? 16384, firstSegmentBytes: 4096, appliedIndex: opts.appliedIndex, backgroundSpare: false });
    return { db, storage };
  };
  /** One Ready: entries and hard state, persisted, in a transaction. */
  const ready = (db: SqliteDatabase, s: SegmentRaftStorage, entries: Entry[], hs?: { term: number; vote: string | null; commit: number }) =>
    db.transaction(() => {
      s.append(entries);
      if (hs) s.setHardState(hs);
      s.persist(true);
    })();
  const reopen = (prev: { db: SqliteDatabase; storage: SegmentRaftStorage }, opts: { segmentBytes?: number; appliedIndex?: number } = {}) => {
    prev.storage.close();
    prev.db.close();
    return open(opts);
  };

  it('appends, answers terms and ranges, replaces a conflicting suffix, and replays all of it after a restart', () => {
    const a = open();
    ready(a.db, a.storage, [e(1, 1), e(2, 1), e(3, 2), e(4, 2)], { term: 2, vote: 'n1', commit: 2 });
    ready(a.db, a.storage, [e(3, 3, 'new3')], { term: 3, vote: 'n2', commit: 2 });
    expect([a.storage.lastIndex(), a.storage.term(3)]).to.deep.equal([3, 3]);
    expect(() => a.storage.term(4)).to.throw(UnavailableError);
    const b = reopen(a);
    expect(b.storage.initialState().hardState).to.deep.equal({ term: 3, vote: 'n2', commit: 2 });
    expect(b.storage.entries(1, 4).map((x) => x.data), 'read from the files').to.deep.equal(['d1', 'd2', 'new3']);
    expect(() => b.storage.entries(1, 5)).to.throw(UnavailableError);
    // The new term and vote are mirrored in SQLite (it still tells whether this node has Raft state).
    expect(b.db.prepare('SELECT term, vote FROM raft_state').get()).to.deep.equal({ term: 3, vote: 'n2' });
  });

  it('limits a range read from the files by bytes, at least one entry', () => {
    const a = open();
    ready(a.db, a.storage, [1, 2, 3, 4].map((i) => e(i, 1, 'x'.repeat(100))));
    const b = reopen(a);
    expect(b.storage.entries(1, 5, 150).map((x) => x.index)).to.deep.equal([1]);
    expect(b.storage.entries(1, 5, 300).map((x) => x.index)).to.deep.equal([1, 2]);
  });

  it('compaction: the point is in SQLite at once; whole segments below it go at a later persist, and a restart starts there', () => {
    const a = open({ segmentBytes: 8192 });
    for (let i = 1; i <= 60; i++) ready(a.db, a.storage, [e(i, 1, 'y'.repeat(500))], { term: 1, vote: 'n1', commit: i });
    const before = a.storage.segmentSeqs();
    expect(before.length).to.be.greaterThan(3);
    a.db.transaction(() => a.storage.compact(50))();
    expect(a.storage.firstIndex()).to.equal(51);
    expect(() => a.storage.entries(50, 52)).to.throw(CompactedError);
    expect(a.storage.segmentSeqs(), 'files wait for the next persist').to.deep.equal(before);
    ready(a.db, a.storage, [e(61, 1)], { term: 1, vote: 'n1', commit: 61 });
    const after = a.storage.segmentSeqs();
    expect(after.length).to.be.lessThan(before.length);
    const b = reopen(a);
    expect([b.storage.firstIndex(), b.storage.lastIndex(), b.storage.term(50)]).to.deep.equal([51, 61, 1]);
    expect(b.storage.entries(51, 62).map((x) => x.index)).to.deep.equal(Array.from({ length: 11 }, (_, i) => 51 + i));
    expect(b.storage.initialState().hardState.commit).to.equal(61);
  });

  it('an installed snapshot restarts the log; after a restart the log is still empty after it', () => {
    const a = open();
    ready(a.db, a.storage, [e(1, 1), e(2, 1)], { term: 1, vote: null, commit: 2 });
    a.db.transaction(() => {
      a.storage.installSnapshot(10, 4);
      a.storage.append([e(11, 4)]);
      a.storage.setHardState({ term: 4, vote: null, commit: 10 });
      a.storage.persist(true);
    })();
    const b = reopen(a);
    expect([b.storage.firstIndex(), b.storage.lastIndex(), b.storage.term(10), b.storage.term(11)]).to.deep.equal([11, 11, 4, 4]);
    expect(b.storage.entries(11, 12)[0].data).to.equal('d11');
  });

  it('an install whose SQLite transaction never committed is undone on restart: the old log and hard state stand', () => {
    const a = open();
    ready(a.db, a.storage, [e(1, 1), e(2, 1)], { term: 1, vote: 'n1', commit: 1 });
    expect(() =>
      a.db.transaction(() => {
        a.storage.installSnapshot(10, 4);
        a.storage.setHardState({ term: 4, vote: null, commit: 10 });
        a.storage.persist(true); // the reset record is on disk...
        throw new Error('crash before the commit'); // ...but the transaction rolls back
      })(),
    ).to.throw('crash before the commit');
    const b = reopen(a);
    expect([b.storage.firstIndex(), b.storage.lastIndex()]).to.deep.equal([1, 2]);
    expect(b.storage.initialState().hardState).to.deep.equal({ term: 1, vote: 'n1', commit: 1 });
  });

  it('the recovered commit index covers the applied index and the compaction point', () => {
    const a = open();
    ready(a.db, a.storage, [e(1, 1), e(2, 1), e(3, 1)], { term: 1, vote: 'n1', commit: 1 });
    const b = reopen(a, { appliedIndex: 3 });
    expect(b.storage.initialState().hardState.commit).to.equal(3);
  });

  it('refuses a log whose entries start after the compaction point (entries missing)', () => {
    const { log } = SegmentLog.open(logDir(), { segmentBytes: 16384, backgroundSpare: false }, () => 'keep');
    log.append(encodeEntryRecord(e(5, 1)));
    log.append(encodeEntryRecord(e(6, 1)));
    log.close();
    const db = openDatabase(path.join(dataDir, 'state.db'));
    dbs.push(db);
    db.prepare('UPDATE raft_state SET snapshot_index = 2, snapshot_term = 1').run();
    expect(() => new SegmentRaftStorage(db, logDir(), () => conf, snap, { backgroundSpare: false })).to.throw(CorruptLogError, /starts at 5 but the compaction point is 2/);
    db.prepare('UPDATE raft_state SET snapshot_index = 4, snapshot_term = 1').run();
    const ok = new SegmentRaftStorage(db, logDir(), () => conf, snap, { backgroundSpare: false });
    expect([ok.firstIndex(), ok.lastIndex()]).to.deep.equal([5, 6]);
    ok.close();
  });

  it('a log in SQLite moves to segments on its first start with segments (entries and hard state), and cannot go back', () => {
    const db = openDatabase(path.join(dataDir, 'state.db'));
    dbs.push(db);
    const sqlite = new SqliteRaftStorage(db, () => conf, snap);
    db.transaction(() => {
      sqlite.append([1, 2, 3, 4, 5].map((i) => e(i, i < 3 ? 1 : 2)));
      sqlite.setHardState({ term: 2, vote: 'n3', commit: 4 });
      sqlite.compact(1);
    })();
    const open2 = (kind: 'sqlite' | 'segments') => openRaftLogStorage({ kind, db, dataDir, appliedConf: () => conf, buildSnapshot: snap, appliedIndex: 1 });
    const seg = open2('segments') as SegmentRaftStorage;
    expect([seg.firstIndex(), seg.lastIndex(), seg.term(1), seg.term(5)]).to.deep.equal([2, 5, 1, 2]);
    expect(seg.initialState().hardState).to.deep.equal({ term: 2, vote: 'n3', commit: 4 });
    expect(seg.entries(2, 6).map((x) => x.data)).to.deep.equal(['d2', 'd3', 'd4', 'd5']);
    expect((db.prepare('SELECT COUNT(*) AS n FROM raft_log').get() as { n: number }).n, 'the rows are gone from SQLite').to.equal(0);
    seg.close();
    expect(() => open2('sqlite')).to.throw(/Raft log is in segment files .* raftLogStore=segments/);
    const again = open2('segments') as SegmentRaftStorage;
    expect(again.lastIndex()).to.equal(5);
    again.close();
  });

  it('a corrupt record in the middle of the log stops the node with a clear error', () => {
    const a = open();
    ready(a.db, a.storage, [e(1, 1, 'aaaaaaaa'), e(2, 1)], { term: 1, vote: 'n1', commit: 2 });
    a.storage.close();
    a.db.close();
    const file = path.join(logDir(), fs.readdirSync(logDir()).find((n) => n.endsWith('.seg') && n !== 'spare.seg')!);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf('aaaaaaaa');
    bytes[at + 3] = 'b'.charCodeAt(0);
    fs.writeFileSync(file, bytes);
    expect(() => open()).to.throw(CorruptLogError, /checksum mismatch/);
  });
});
