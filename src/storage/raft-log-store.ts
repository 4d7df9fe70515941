/**
 * Which store holds a node's Raft log: SQLite (the log in the node's database, synced with each Ready's
 * transaction) or segment files beside it (segment-raft-storage.ts, one fdatasync per Ready, etcd's WAL). A log
 * moves from SQLite to segments on its first start with `segments`; the way back is refused, with the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConfState, Entry, Snapshot } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';
import { SqliteRaftStorage, type RaftLogStorage } from './raft-storage.js';
import { SegmentRaftStorage } from './segment-raft-storage.js';

export type RaftLogStoreKind = 'sqlite' | 'segments';

/** The segment files' directory, inside the node's data directory. */
export const RAFT_LOG_DIR_NAME = 'raft-log';
/** Rows copied per query when a log moves from SQLite to segments. */
const IMPORT_PAGE_ROWS = 256;

export interface OpenRaftLogOptions {
  kind: RaftLogStoreKind;
  db: SqliteDatabase;
  dataDir: string;
  appliedConf: () => ConfState;
  buildSnapshot: () => Snapshot;
  /** The state machine's applied index (the recovered commit index is at least this). */
  appliedIndex: number;
  segmentBytes?: number;
  onBackgroundError?: (err: Error) => void;
}

export function openRaftLogStorage(o: OpenRaftLogOptions): RaftLogStorage {
  const dir = path.join(o.dataDir, RAFT_LOG_DIR_NAME);
  if (o.kind === 'sqlite') {
    if (fs.existsSync(dir) && fs.readdirSync(dir).some((n) => n.endsWith('.seg') && n !== 'spare.seg')) {
      throw new Error(`this node's Raft log is in segment files (${dir}), but the cluster's raftLogStore setting is sqlite: start it with --setting raftLogStore=segments (a log does not move back to SQLite)`);
    }
    return new SqliteRaftStorage(o.db, o.appliedConf, o.buildSnapshot);
  }
  const opts = { appliedIndex: o.appliedIndex, segmentBytes: o.segmentBytes, onBackgroundError: o.onBackgroundError };
  if (!fs.existsSync(dir) && hasSqliteLog(o.db)) importSqliteLog(o, dir, opts);
  // Rows left by an import that stopped after its rename: the segments hold them now.
  if (o.db.prepare('SELECT 1 FROM raft_log LIMIT 1').get() !== undefined) o.db.prepare('DELETE FROM raft_log').run();
  return new SegmentRaftStorage(o.db, dir, o.appliedConf, o.buildSnapshot, opts);
}

function hasSqliteLog(db: SqliteDatabase): boolean {
  const rows = db.prepare('SELECT 1 FROM raft_log LIMIT 1').get() !== undefined;
  const hs = db.prepare('SELECT term FROM raft_state WHERE singleton = 1').get() as { term: number };
  return rows || hs.term > 0;
}

/**
 * Copies the SQLite log and hard state into segments in a side directory, synced, then renames it into place: a
 * crash midway leaves the SQLite log in charge, never half a log in segments.
 */
function importSqliteLog(o: OpenRaftLogOptions, dir: string, opts: ConstructorParameters<typeof SegmentRaftStorage>[4]): void {
  const tmp = `${dir}.import`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const sqlite = new SqliteRaftStorage(o.db, o.appliedConf, o.buildSnapshot);
  const target = new SegmentRaftStorage(o.db, tmp, o.appliedConf, o.buildSnapshot, opts);
  const page = o.db.prepare('SELECT idx, term, kind, data FROM raft_log WHERE idx >= ? ORDER BY idx LIMIT ?');
  for (let from = sqlite.firstIndex(); ; ) {
    const rows = page.all(from, IMPORT_PAGE_ROWS) as { idx: number; term: number; kind: Entry['kind']; data: string }[];
    if (rows.length === 0) break;
    target.append(rows.map((r) => ({ index: r.idx, term: r.term, kind: r.kind, data: r.data })));
    target.persist(false);
    from = rows[rows.length - 1].idx + 1;
  }
  target.setHardState(sqlite.getHardState());
  target.persist(true);
  target.close();
  fs.renameSync(tmp, dir);
  const fd = fs.openSync(o.dataDir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
