/**
 * The receiving side of a streamed snapshot. Chunks go into staged_kv, staged_kv_events and staged_leases
 * (created from the live tables' own definitions), each chunk in one transaction with the stream's position in
 * `snapshot_staging`: a transfer cut off by a dropped connection or a crash resumes from the last chunk written.
 * Once every row is in, install() swaps the staged tables in by renaming, inside the caller's transaction (the
 * one that also replaces the Raft log and records the applied index): the swap is atomic, and costs the same for
 * a gigabyte as for a kilobyte. The tables it replaces become trash_<n>_* tables, emptied a little at a time
 * (collectTrash), so dropping a gigabyte never blocks the event loop.
 */
import type { Statement } from 'better-sqlite3';
import type { ConfState } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';
import { decodeCursor, encodeCursor, SNAPSHOT_START, type ChunkData, type SnapshotCursor } from './snapshot-chunk.js';

/** The tables a snapshot replaces. */
const TABLES = ['kv', 'kv_events', 'leases'] as const;

/** A snapshot offered by the leader, as the staging row keeps it. */
export interface SnapshotOffer {
  index: number;
  term: number;
  confState: ConfState;
  /** Who offered it, and in which term: the offer is stepped into Raft as that leader's message once staged. */
  leader: string;
  offerTerm: number;
}

export interface StagingProgress extends SnapshotOffer {
  /** Where the next chunk starts; null once the last chunk is in. */
  cursor: SnapshotCursor | null;
  revision: number;
  compactRevision: number;
  bytes: number;
  chunks: number;
}

interface StagingRow {
  snapshot_index: number;
  snapshot_term: number;
  conf_state: string;
  leader: string;
  offer_term: number;
  revision: number;
  compact_revision: number;
  cursor: string | null;
  bytes: number;
  chunks: number;
}

export class SnapshotStaging {
  private readonly q: Record<'get' | 'insert' | 'reoffer' | 'advance' | 'clear', Statement>;
  /** Inserts into the staged tables: prepared once they exist. */
  private inserts: Record<'kv' | 'lease' | 'event', Statement> | null = null;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      get: db.prepare('SELECT * FROM snapshot_staging WHERE singleton = 1'),
      insert: db.prepare(
        'INSERT OR REPLACE INTO snapshot_staging (singleton, snapshot_index, snapshot_term, conf_state, leader, offer_term, revision, compact_revision, cursor, bytes, chunks) VALUES (1, ?, ?, ?, ?, ?, 0, 0, ?, 0, 0)',
      ),
      reoffer: db.prepare('UPDATE snapshot_staging SET leader = ?, offer_term = ? WHERE singleton = 1'),
      advance: db.prepare('UPDATE snapshot_staging SET cursor = ?, revision = ?, compact_revision = ?, bytes = bytes + ?, chunks = chunks + 1 WHERE singleton = 1'),
      clear: db.prepare('DELETE FROM snapshot_staging'),
    };
  }

  /** The snapshot being staged, if any (it survives restarts). */
  progress(): StagingProgress | null {
    const r = this.q.get.get() as StagingRow | undefined;
    if (!r) return null;
    const cursor = r.cursor === null ? null : decodeCursor(r.cursor);
    if (r.cursor !== null && cursor === null) throw new Error(`snapshot_staging holds an unreadable cursor ${JSON.stringify(r.cursor)}: the database is damaged`);
    return {
      index: r.snapshot_index,
      term: r.snapshot_term,
      confState: JSON.parse(r.conf_state) as ConfState,
      leader: r.leader,
      offerTerm: r.offer_term,
      cursor,
      revision: r.revision,
      compactRevision: r.compact_revision,
      bytes: r.bytes,
      chunks: r.chunks,
    };
  }

  /** Starts staging `offer` from its first row, setting aside whatever was staged before. */
  begin(offer: SnapshotOffer): void {
    this.db.transaction(() => {
      this.trashStaged();
      const gen = this.nextGeneration();
      for (const table of TABLES) {
        const ddl = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
        if (!ddl) throw new Error(`no table ${table} to stage a snapshot for`);
        this.db.exec(ddl.sql.replace(/^CREATE TABLE\s+("[^"]+"|\S+)/i, `CREATE TABLE staged_${table}`));
        // The live table's indexes, under a new name (index names are global, and the renamed ones keep theirs).
        const indexes = this.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as { name: string; sql: string }[];
        for (const ix of indexes) {
          const name = `${ix.name.replace(/_g\d+$/, '')}_g${gen}`;
          this.db.exec(ix.sql.replace(/^CREATE\s+(UNIQUE\s+)?INDEX\s+("[^"]+"|\S+)\s+ON\s+("[^"]+"|\S+)/i, (_m, unique: string | undefined) => `CREATE ${unique ?? ''}INDEX ${name} ON staged_${table}`));
        }
      }
      this.q.insert.run(offer.index, offer.term, JSON.stringify(offer.confState), offer.leader, offer.offerTerm, encodeCursor(SNAPSHOT_START));
    })();
    this.inserts = null;
  }

  /** The same snapshot offered again, by `leader` in `offerTerm` (after a leader change, or a failed attempt). */
  reoffer(leader: string, offerTerm: number): void {
    this.q.reoffer.run(leader, offerTerm);
  }

  /**
   * Writes one chunk that starts at `from` (which must be where the stream stands) and ends at `next` (null: the
   * last chunk), in one transaction with the new position. Returns false, writing nothing, if `from` is not
   * where the stream stands (a chunk from before a resume).
   */
  write(from: SnapshotCursor, next: SnapshotCursor | null, chunk: ChunkData, bytes: number): boolean {
    const at = this.progress();
    if (!at || at.cursor === null || encodeCursor(at.cursor) !== encodeCursor(from)) return false;
    const ins = this.insertStatements();
    this.db.transaction(() => {
      chunk.rows.kv.forEach((r, i) => ins.kv.run(r[0], chunk.kvValues[i], r[2], r[3], r[4], r[5]));
      for (const r of chunk.rows.leases) ins.lease.run(...r);
      chunk.rows.events.forEach((r, i) => {
        const v = chunk.eventValues[i];
        ins.event.run(r[0], r[1], r[2], r[3], v.value, r[5], r[6], r[7], r[8], v.prev);
      });
      this.q.advance.run(next === null ? null : encodeCursor(next), chunk.rows.revision, chunk.rows.compactRevision, bytes);
    })();
    return true;
  }

  /**
   * Swaps the staged tables in for the live ones and forgets the staging row. Call inside the transaction that
   * installs the snapshot in Raft's log and records the applied index, so that all of it happens or none.
   * Returns the state's revision counters as of the snapshot.
   */
  install(): { revision: number; compactRevision: number } {
    const p = this.progress();
    if (!p || p.cursor !== null) throw new Error('install of a snapshot that is not completely staged');
    const gen = this.nextGeneration();
    for (const table of TABLES) {
      this.db.exec(`ALTER TABLE ${table} RENAME TO trash_${gen}_${table}`);
      this.db.exec(`ALTER TABLE staged_${table} RENAME TO ${table}`);
    }
    this.q.clear.run();
    this.inserts = null;
    return { revision: p.revision, compactRevision: p.compactRevision };
  }

  /** Gives up the staged snapshot (a newer one is offered, or Raft did not want it). */
  discard(): void {
    this.db.transaction(() => {
      this.trashStaged();
      this.q.clear.run();
    })();
    this.inserts = null;
  }

  hasTrash(): boolean {
    return this.trashTables().length > 0;
  }

  /**
   * Deletes up to `maxRows` rows of set-aside tables (dropping each once empty) in one transaction; returns
   * whether any trash remains. Freeing a gigabyte reads every page of it: a little at a time keeps the node responsive.
   */
  collectTrash(maxRows: number): boolean {
    const tables = this.trashTables();
    if (tables.length === 0) return false;
    const table = tables[0];
    const pk = (this.db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as { name: string }[]).map((r) => r.name);
    const cols = pk.length > 0 ? pk.join(', ') : 'rowid';
    const target = pk.length > 1 ? `(${cols})` : cols;
    this.db.transaction(() => {
      const deleted = this.db.prepare(`DELETE FROM ${table} WHERE ${target} IN (SELECT ${cols} FROM ${table} LIMIT ?)`).run(maxRows).changes;
      if (deleted < maxRows) this.db.exec(`DROP TABLE ${table}`);
    })();
    return this.trashTables().length > 0;
  }

  private trashTables(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'trash\\_%' ESCAPE '\\' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  }

  /** Sets the staged tables aside as trash (renaming is instant; collectTrash frees them later). */
  private trashStaged(): void {
    const staged = TABLES.filter((t) => this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(`staged_${t}`));
    if (staged.length === 0) return;
    const gen = this.nextGeneration();
    for (const t of staged) this.db.exec(`ALTER TABLE staged_${t} RENAME TO trash_${gen}_${t}`);
  }

  /** A number no staged, trash or index name uses yet. */
  private nextGeneration(): number {
    let max = 0;
    for (const { name } of this.db.prepare('SELECT name FROM sqlite_master').all() as { name: string }[]) {
      const m = /^trash_(\d+)_/.exec(name) ?? /_g(\d+)$/.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }

  private insertStatements(): Record<'kv' | 'lease' | 'event', Statement> {
    this.inserts ??= {
      kv: this.db.prepare('INSERT INTO staged_kv (key, value, create_revision, mod_revision, version, lease) VALUES (?, CAST(? AS TEXT), ?, ?, ?, ?)'),
      lease: this.db.prepare('INSERT INTO staged_leases (id, ttl_ms, granted_revision, granted_at_ms, renewed_at_ms, renewals, owner, secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      event: this.db.prepare(
        'INSERT INTO staged_kv_events (revision, sub, type, key, value, create_revision, mod_revision, version, lease, prev_value) VALUES (?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?, CAST(? AS TEXT))',
      ),
    };
    return this.inserts;
  }
}
