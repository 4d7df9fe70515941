import type { KeySpan } from './key-span.js';
import type { KeyValue, Lease, WatchEvent } from './kv-types.js';

/**
 * The replicated state as the state machine reads and writes it. The node implements it on SQLite
 * (storage/applied-state.ts), inside the transaction that also persists the Raft log, so applying and
 * logging commit together.
 */
export interface StateStore {
  get(key: string): KeyValue | undefined;
  /** The key itself, or with `prefix` every key starting with it, in key order. */
  range(key: string, prefix: boolean, limit?: number): KeyValue[];
  /**
   * The keys of a span as of `revision` (absent or 0: now; inside an apply, including what it changed so far), in
   * key order, at most `limit` of them (absent or 0: all), and how many the span holds in all (`countOnly`: only the
   * count). The caller checks that `revision` is neither compacted nor in the future. Throws CcmError 'compacted'
   * (details: compactRevision, revision, key) if a key of the span changed since `revision` but its state then is
   * older than the kept history: its value is not guessed.
   */
  rangeSpan(span: KeySpan, options?: { revision?: number; limit?: number; countOnly?: boolean }): { kvs: KeyValue[]; count: number };
  put(kv: KeyValue): void;
  delete(key: string): void;
  keysWithLease(lease: number): string[];
  appendEvent(revision: number, sub: number, event: WatchEvent): void;
  /** Events with revision >= from (and <= to), in order. */
  events(fromRevision: number, toRevision: number, limit: number): WatchEvent[];
  revision(): number;
  setRevision(revision: number): void;
  /** The oldest revision whose events are still kept: a watch must start at or after it. */
  compactRevision(): number;
  /** Forget events before `revision`. */
  compact(revision: number): void;
  getLease(id: number): Lease | undefined;
  putLease(lease: Lease): void;
  deleteLease(id: number): void;
  leases(): Lease[];
}
