import fs from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

/**
 * SQLite's 4 KiB pages: each commit writes every page it touches whole (to the WAL, then synced), and most writes are
 * small. 16 KiB pages cost a small put ~20 % more CPU on every replica (measured side by side) to save ~40 % of
 * the CPU of a 1 MiB value. An existing database keeps the page size it was made with.
 */
const PAGE_SIZE_BYTES = 4 * 1024;
const WAL_AUTOCHECKPOINT_BYTES = 4 * 1024 * 1024;
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Opens (creating if needed) a node's SQLite database: WAL journal, synchronous=FULL so that a commit is on
 * disk when it returns, and the schema migrated to the latest version.
 */
export function openDatabase(path: string, migrations: Migration[] = MIGRATIONS): SqliteDatabase {
  const db = new Database(path);
  // Only a new database takes it (before WAL mode): an existing one keeps the page size it was made with.
  db.pragma(`page_size = ${PAGE_SIZE_BYTES}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // A checkpoint every 4 MiB of WAL (SQLite's default of 1000 pages at 4 KiB) keeps each checkpoint's stall short.
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(WAL_AUTOCHECKPOINT_BYTES / pageSize))}`);
  // A WAL that grew past this in a burst (or while a snapshot's read view held checkpoints back) is cut back to it.
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma('cache_size = -16000');
  migrate(db, migrations);
  return db;
}

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: SqliteDatabase, migrations: Migration[]): void {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1..n without gaps; found ${m.version} at position ${i + 1}`);
  });
  const current = schemaVersion(db);
  if (current > ordered.length) {
    throw new Error(`database schema is version ${current}, newer than this ccm (${ordered.length}); refusing to open it`);
  }
  for (const m of ordered.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Past the auto-checkpoint threshold (4 MiB) with room to spare, so the WAL never grows in normal running. */
const WAL_PREALLOCATE_BYTES = 6 * 1024 * 1024;

/**
 * Grows the WAL file once to its working size. SQLite reuses a WAL from the start after a checkpoint, so a
 * file that never grows lets each commit's fsync skip the file-size metadata update: about half the sync cost
 * here (etcd preallocates its WAL segments for the same reason). Voters only; costs one 6 MiB write (about 0.1 s of CPU).
 */
export function preallocateWal(db: SqliteDatabase): void {
  const walPath = `${db.name}-wal`;
  let size = 0;
  try {
    size = fs.statSync(walPath).size;
  } catch {
    return;
  }
  if (size >= WAL_PREALLOCATE_BYTES) return;
  db.transaction(() => {
    db.prepare('INSERT INTO wal_scratch (b) VALUES (?)').run(Buffer.alloc(WAL_PREALLOCATE_BYTES - size));
    db.prepare('DELETE FROM wal_scratch').run();
  })();
  db.pragma('wal_checkpoint(PASSIVE)');
}
