import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, Count, type Assert, type SameType } from '../schema/compiled-schema.js';
import type { KeyValue, Lease, WatchEvent } from './kv-types.js';

/**
 * Schemas of the state machine's data as it travels between nodes (a forwarded read's result, a watch poll's
 * events). The types stay in kv-types.ts, where the rest of the code reads them; the assertions below fail to compile
 * if a schema and its type ever say different things.
 */
export const KeyValueSchema = Type.Object(
  {
    key: Type.String(),
    value: Type.String(),
    createRevision: Count,
    modRevision: Count,
    version: Count,
    lease: Count,
  },
  { additionalProperties: false },
);

export const WatchEventSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
    kv: KeyValueSchema,
    prevValue: Type.Optional(Type.String()),
    /** The key before the change (etcd's prev_kv): only for watchers that ask. */
    prev: Type.Optional(KeyValueSchema),
  },
  { additionalProperties: false },
);

export const LeaseSchema = Type.Object(
  {
    id: Count,
    ttlMs: Count,
    grantedRevision: Count,
    grantedAtMs: Type.Number(),
    renewedAtMs: Type.Number(),
    renewals: Count,
    owner: Type.String(),
    /** SHA-256 (hex) of the grant's secret, or '' for a lease granted before secrets. */
    secretHash: Type.String({ maxLength: 128 }),
  },
  { additionalProperties: false },
);

export type _KeyValueMatches = Assert<SameType<Static<typeof KeyValueSchema>, KeyValue>>;
export type _WatchEventMatches = Assert<SameType<Static<typeof WatchEventSchema>, WatchEvent>>;
export type _LeaseMatches = Assert<SameType<Static<typeof LeaseSchema>, Lease>>;

/** The value of a lock key or a lock-queue key: who holds (or waits) and with which lease. */
export const LockValueSchema = Type.Object({ holder: Type.String(), lease: Count });
export type LockValue = Static<typeof LockValueSchema>;
const lockValueCheck = compileSchema(LockValueSchema);

/**
 * Reads a lock (or queue) key's value. Only the state machine writes these keys, but every reader must be total
 * whatever a log holds: an unreadable value is null (callers treat it as a holder with no lease).
 */
export function readLockValue(text: string): LockValue | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  return lockValueCheck.check(v) ? v : null;
}
