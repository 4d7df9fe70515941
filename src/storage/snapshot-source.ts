/**
 * The sending side of a streamed snapshot: a second, read-only connection to the node's database holding one
 * read transaction, so it sees the state machine exactly as of the snapshot's index (WAL isolation) while the
 * node goes on applying entries on its own connection. Rows are read a chunk at a time, values as raw bytes:
 * the snapshot is never in memory as a whole, whatever its size.
 */
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { type EventRow, type KvRow, type LeaseRow, type SnapshotCursor, type SnapshotRows } from './snapshot-chunk.js';

/** Rows read per query; a chunk stops at its byte budget, so a page of large values is never read whole. */
const PAGE_ROWS = 64;
/** What a row costs against a chunk's budget besides its values (the JSON tuple). */
const ROW_OVERHEAD_BYTES = 48;
/** The read connection's page cache: it streams, so caching buys nothing. */
const CACHE_KIB = 2048;

export class SnapshotMovedError extends Error {
  constructor(want: { index: number; term: number }, found: { index: number; term: number }) {
    super(`the state is at ${found.index}/${found.term}, not at the snapshot's ${want.index}/${want.term}`);
  }
}

export interface SourceChunk {
  rows: SnapshotRows;
  /** The rows' values, in row order (kv values, then each event's value and previous value). */
  blob: Buffer;
  /** Where the next chunk starts; null when this one ends the snapshot. */
  next: SnapshotCursor | null;
}

export class SnapshotSource {
  private readonly db: Database.Database;
  private readonly q: Record<'kv' | 'leases' | 'events' | 'eventsAfter', Statement>;
  readonly revision: number;
  readonly compactRevision: number;
  /** Bytes of values and rows read so far. */
  bytesRead = 0;

  /** Opens a read view of the database at `dbPath`; throws SnapshotMovedError if its applied index is not `at`. */
  constructor(dbPath: string, at: { index: number; term: number }) {
    this.db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      this.db.pragma(`cache_size = -${CACHE_KIB}`);
      this.db.exec('BEGIN');
      // The first read fixes the transaction's view of the WAL: everything after this comes from the same moment.
      const row = this.db.prepare('SELECT applied_index, applied_term, revision, compact_revision FROM applied WHERE singleton = 1').get() as {
        applied_index: number;
        applied_term: number;
        revision: number;
        compact_revision: number;
      };
      if (row.applied_index !== at.index || row.applied_term !== at.term) throw new SnapshotMovedError(at, { index: row.applied_index, term: row.applied_term });
      this.revision = row.revision;
      this.compactRevision = row.compact_revision;
      this.q = {
        kv: this.db.prepare('SELECT key, CAST(value AS BLOB), create_revision, mod_revision, version, lease FROM kv WHERE key > ? ORDER BY key LIMIT ?').raw(),
        leases: this.db.prepare('SELECT id, ttl_ms, granted_revision, granted_at_ms, renewed_at_ms, renewals, owner, secret_hash FROM leases WHERE id > ? ORDER BY id LIMIT ?').raw(),
        events: this.db
          .prepare('SELECT revision, sub, type, key, CAST(value AS BLOB), create_revision, mod_revision, version, lease, CAST(prev_value AS BLOB) FROM kv_events WHERE revision >= ? ORDER BY revision, sub LIMIT ?')
          .raw(),
        eventsAfter: this.db
          .prepare(
            'SELECT revision, sub, type, key, CAST(value AS BLOB), create_revision, mod_revision, version, lease, CAST(prev_value AS BLOB) FROM kv_events WHERE (revision, sub) > (?, ?) ORDER BY revision, sub LIMIT ?',
          )
          .raw(),
      };
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Reads the rows after `from`, up to about `maxBytes` (at least one row, unless the snapshot ends). */
  read(from: SnapshotCursor, maxBytes: number): SourceChunk {
    const rows: SnapshotRows = { revision: this.revision, compactRevision: this.compactRevision, kv: [], leases: [], events: [] };
    const parts: Buffer[] = [];
    let bytes = 0;
    let cursor: SnapshotCursor | null = from;
    const isFull = (): boolean => bytes >= maxBytes;
    while (cursor !== null && !isFull()) {
      if (cursor.table === 'kv') {
        let n = 0;
        const after: string = cursor.after ?? '';
        const page = this.q.kv.iterate(after, PAGE_ROWS) as Iterable<[string, Buffer, number, number, number, number]>;
        for (const r of page) {
          n++;
          const [key, value, createRevision, modRevision, version, lease] = r;
          const row: KvRow = [key, value.length, createRevision, modRevision, version, lease];
          rows.kv.push(row);
          parts.push(value);
          bytes += value.length + key.length + ROW_OVERHEAD_BYTES;
          cursor = { table: 'kv', after: key };
          if (isFull()) break;
        }
        if (!isFull() && n < PAGE_ROWS) cursor = { table: 'leases', after: null };
      } else if (cursor.table === 'leases') {
        let n = 0;
        const after: number = cursor.after ?? -1;
        const page = this.q.leases.iterate(after, PAGE_ROWS) as Iterable<LeaseRow>;
        for (const r of page) {
          n++;
          rows.leases.push(r);
          bytes += r[6].length + ROW_OVERHEAD_BYTES;
          cursor = { table: 'leases', after: r[0] };
          if (isFull()) break;
        }
        if (!isFull() && n < PAGE_ROWS) cursor = { table: 'events', after: null };
      } else {
        let n = 0;
        const after: [number, number] | null = cursor.after;
        const page = (after === null ? this.q.events.iterate(0, PAGE_ROWS) : this.q.eventsAfter.iterate(after[0], after[1], PAGE_ROWS)) as Iterable<
          [number, number, 'put' | 'delete', string, Buffer | null, number, number, number, number, Buffer | null]
        >;
        for (const r of page) {
          n++;
          const [revision, sub, type, key, value, createRevision, modRevision, version, lease, prev] = r;
          const row: EventRow = [revision, sub, type, key, value?.length ?? -1, createRevision, modRevision, version, lease, prev?.length ?? -1];
          rows.events.push(row);
          if (value) parts.push(value);
          if (prev) parts.push(prev);
          bytes += (value?.length ?? 0) + (prev?.length ?? 0) + key.length + ROW_OVERHEAD_BYTES;
          cursor = { table: 'events', after: [revision, sub] };
          if (isFull()) break;
        }
        if (!isFull() && n < PAGE_ROWS) cursor = null;
      }
    }
    this.bytesRead += bytes;
    return { rows, blob: parts.length === 1 ? parts[0] : Buffer.concat(parts), next: cursor };
  }

  /** Ends the read transaction (the WAL can be checkpointed past it again) and closes the connection. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.exec('COMMIT');
    } finally {
      this.db.close();
    }
  }
}
