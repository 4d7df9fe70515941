/**
 * The wire form of a state-machine snapshot streamed in chunks (storage/snapshot-source.ts reads it,
 * storage/snapshot-staging.ts writes it). A snapshot is the rows of three tables in a fixed order — kv by key,
 * then leases by id, then the watch history by (revision, sub) — so a position in it is a cursor: the table and
 * the last row key sent. A chunk carries the rows after one cursor as small JSON tuples, and their values as raw
 * bytes in the envelope's blob (no base64, no JSON escaping of megabyte values).
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Where a snapshot stream stands: the rows of `table` after `after` come next (null: from its first row). */
export type SnapshotCursor = { table: 'kv'; after: string | null } | { table: 'leases'; after: number | null } | { table: 'events'; after: [number, number] | null };

/** The first position of every snapshot. */
export const SNAPSHOT_START: SnapshotCursor = { table: 'kv', after: null };

const TABLE_ORDER = { kv: 0, leases: 1, events: 2 } as const;

/** Largest single value a chunk may declare (a value is at most 1 MiB today; escaped lock JSON stays far below this). */
const MAX_FIELD_BYTES = 32 * 1024 * 1024;
/** Rows in one chunk at most (small rows: a 1 MiB chunk of 16-byte keys). */
const MAX_ROWS = 200_000;

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Key = Type.String({ minLength: 1, maxLength: 4096 });
const Length = Type.Integer({ minimum: 0, maximum: MAX_FIELD_BYTES });
/** A value's byte length, or -1 for NULL (a delete event has no value; a first put has no previous one). */
const OptionalLength = Type.Integer({ minimum: -1, maximum: MAX_FIELD_BYTES });

/** [key, value bytes, createRevision, modRevision, version, lease] */
const KvRow = Type.Tuple([Key, Length, Count, Count, Count, Count]);
/** [id, ttlMs, grantedRevision, grantedAtMs, renewedAtMs, renewals, owner, secretHash (SHA-256 hex of the grant's secret, or '')] */
const LeaseRow = Type.Tuple([Count, Count, Count, Count, Count, Count, Type.String({ maxLength: 4096 }), Type.String({ maxLength: 128 })]);
/** [revision, sub, type, key, value bytes | -1, createRevision, modRevision, version, lease, prevValue bytes | -1] */
const EventRow = Type.Tuple([Count, Count, Type.Union([Type.Literal('put'), Type.Literal('delete')]), Key, OptionalLength, Count, Count, Count, Count, OptionalLength]);

export type KvRow = Static<typeof KvRow>;
export type LeaseRow = Static<typeof LeaseRow>;
export type EventRow = Static<typeof EventRow>;

/** The JSON part of a chunk: rows in stream order, with their values' lengths; the values are in the blob, in row order. */
export const SnapshotRowsSchema = Type.Object(
  {
    /** The state machine's revision counters as of the snapshot. */
    revision: Count,
    compactRevision: Count,
    kv: Type.Array(KvRow, { maxItems: MAX_ROWS }),
    leases: Type.Array(LeaseRow, { maxItems: MAX_ROWS }),
    events: Type.Array(EventRow, { maxItems: MAX_ROWS }),
  },
  { additionalProperties: false },
);
export type SnapshotRows = Static<typeof SnapshotRowsSchema>;

export const SnapshotRowsCheck = TypeCompiler.Compile(SnapshotRowsSchema);

/** A chunk's rows with their values cut out of the blob (subarrays: nothing is copied). */
export interface ChunkData {
  rows: SnapshotRows;
  kvValues: Buffer[];
  /** Per event: its value and previous value (null where the length was -1). */
  eventValues: { value: Buffer | null; prev: Buffer | null }[];
}

export function encodeCursor(c: SnapshotCursor): string {
  return JSON.stringify([c.table, c.after]);
}

/** Decodes a cursor from the wire or the staging table; null for anything that is not one. */
export function decodeCursor(text: string): SnapshotCursor | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [table, after] = v as [unknown, unknown];
  if (table === 'kv' && (after === null || (typeof after === 'string' && after.length > 0))) return { table, after };
  if (table === 'leases' && (after === null || isCount(after))) return { table, after };
  if (table === 'events' && (after === null || (Array.isArray(after) && after.length === 2 && isCount(after[0]) && isCount(after[1])))) {
    return { table, after: after === null ? null : [after[0] as number, after[1] as number] };
  }
  return null;
}

/** Orders two stream positions: negative if `a` comes first. A row position is a cursor whose `after` is that row. */
export function compareCursors(a: SnapshotCursor, b: SnapshotCursor): number {
  if (a.table !== b.table) return TABLE_ORDER[a.table] - TABLE_ORDER[b.table];
  if (a.after === null || b.after === null) return a.after === b.after ? 0 : a.after === null ? -1 : 1;
  if (a.table === 'kv') return compareText(a.after, b.after as string);
  if (a.table === 'leases') return a.after - (b.after as number);
  const [ra, sa] = a.after;
  const [rb, sb] = b.after as [number, number];
  return ra !== rb ? ra - rb : sa - sb;
}

/** SQLite's default (BINARY) collation for TEXT: byte order of the UTF-8 encodings. */
function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Checks a chunk from the wire against its cursors and cuts its values out of the blob: the rows must fit the
 * schema, come strictly after `from` and in stream order, end at or before `next`, and account for the blob's
 * bytes exactly. Returns the data, or why it is refused.
 */
export function parseChunk(rowsValue: unknown, blob: Buffer, from: SnapshotCursor, next: SnapshotCursor | null): ChunkData | string {
  if (!SnapshotRowsCheck.Check(rowsValue)) {
    const first = SnapshotRowsCheck.Errors(rowsValue).First();
    return `rows do not fit the schema (${first ? `${first.path || '/'}: ${first.message}` : 'unknown'})`;
  }
  const rows = rowsValue;
  const kvValues: Buffer[] = [];
  const eventValues: { value: Buffer | null; prev: Buffer | null }[] = [];
  let offset = 0;
  const take = (length: number): Buffer | null | undefined => {
    if (length < 0) return null;
    if (offset + length > blob.length) return undefined;
    const b = blob.subarray(offset, offset + length);
    offset += length;
    return b;
  };
  let position = from;
  const advance = (to: SnapshotCursor): boolean => {
    const ok = compareCursors(to, position) > 0;
    position = to;
    return ok;
  };
  for (const r of rows.kv) {
    if (!advance({ table: 'kv', after: r[0] })) return `kv row ${JSON.stringify(r[0].slice(0, 64))} is out of order`;
    const v = take(r[1]);
    if (!v) return 'the blob is shorter than the rows declare';
    kvValues.push(v);
  }
  for (const r of rows.leases) {
    if (!advance({ table: 'leases', after: r[0] })) return `lease row ${r[0]} is out of order`;
  }
  for (const r of rows.events) {
    if (!advance({ table: 'events', after: [r[0], r[1]] })) return `event row ${r[0]}.${r[1]} is out of order`;
    const value = take(r[4]);
    const prev = take(r[9]);
    if (value === undefined || prev === undefined) return 'the blob is shorter than the rows declare';
    eventValues.push({ value, prev });
  }
  if (offset !== blob.length) return `the blob holds ${blob.length - offset} bytes more than the rows declare`;
  if (next !== null && compareCursors(next, position) < 0) return 'the next cursor lies before the last row';
  if (next !== null && compareCursors(next, from) <= 0) return 'the chunk makes no progress';
  return { rows, kvValues, eventValues };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
