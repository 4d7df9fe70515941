import { CcmError } from '../errors/ccm-error.js';
import type { KeyValue, WatchEvent } from './kv-types.js';
import type { StateStore } from './state-store.js';

/**
 * The event with the key as it was just before it (etcd's prev_kv), read from the history at the revision before:
 * none for a creation, nor when that revision is compacted, or the key's state then is (etcd gives none then either).
 */
export function withPrevKv(store: StateStore, e: WatchEvent): WatchEvent {
  const before = e.kv.modRevision - 1;
  const isCreation = e.type === 'put' && e.kv.createRevision === e.kv.modRevision;
  if (isCreation || before < 1 || before < store.compactRevision()) return e;
  let prev: KeyValue | undefined;
  try {
    prev = store.rangeSpan({ key: e.kv.key }, { revision: before }).kvs[0];
  } catch (err) {
    // The key's state then is older than the kept history: none, as for a compacted revision.
    if (err instanceof CcmError && err.code === 'compacted') return e;
    throw err;
  }
  return prev ? { ...e, prev } : e;
}
