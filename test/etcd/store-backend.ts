import { CcmError } from '../../src/errors/ccm-error.js';
import type { Command } from '../../src/core/commands.js';
import { inSpan } from '../../src/core/key-span.js';
import type { WatchEvent } from '../../src/core/kv-types.js';
import { withPrevKv } from '../../src/core/prev-kv.js';
import { applyCommand } from '../../src/core/state-machine.js';
import type { EtcdBackend, WatchHandlers } from '../../src/etcd/etcd-backend.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';

/**
 * The etcd layer's backend on the real state machine and SQLite store, in this process and without Raft: one
 * replica that applies each command at once. For tests of the etcd layer itself (its boundary, its mapping); the
 * real node's backend is tested through real processes.
 */
export function storeBackend(db: SqliteDatabase = openDatabase(':memory:')): EtcdBackend & { store: SqliteStateStore } {
  const store = new SqliteStateStore(db);
  let index = 0;
  const watchers = new Set<{ span: Parameters<EtcdBackend['watch']>[0]['span']; next: number; prevKv: boolean; handlers: WatchHandlers }>();
  const shape = (events: WatchEvent[], prevKv: boolean): WatchEvent[] => (prevKv ? events.map((e) => withPrevKv(store, e)) : events);
  const publish = (events: WatchEvent[]): void => {
    if (events.length === 0) return;
    const revision = events[0].kv.modRevision;
    for (const w of watchers) {
      if (revision < w.next) continue;
      w.next = revision + 1;
      const matching = events.filter((e) => inSpan(w.span, e.kv.key));
      if (matching.length > 0) w.handlers.onEvents(shape(matching, w.prevKv), revision);
    }
  };
  return {
    store,
    nodeId: 'n1',
    clusterName: 'test',
    async write(command: Command) {
      const applied = applyCommand(store, command, ++index);
      if (applied.result.op === 'error') throw new CcmError(applied.result.code, applied.result.message, applied.result.details);
      publish(applied.effects.events);
      return applied.result;
    },
    async range(read) {
      const revision = store.revision();
      if (read.revision && read.revision > revision) throw new CcmError('invalid_argument', 'future', { reason: 'future-revision' });
      if (read.revision && read.revision < store.compactRevision()) throw new CcmError('compacted', 'compacted', { compactRevision: store.compactRevision() });
      return { ...store.rangeSpan(read.span, read), revision };
    },
    async lease(id) {
      const lease = store.getLease(id);
      if (!lease) throw new CcmError('not_found', `lease ${id} not found`);
      return { lease, ttlLeftMs: lease.ttlMs, keys: store.keysWithLease(id) };
    },
    async leases() {
      return store.leases();
    },
    watch(spec, handlers) {
      const w = { span: spec.span, next: spec.fromRevision || store.revision() + 1, prevKv: spec.prevKv, handlers };
      handlers.onCreated(store.revision());
      if (spec.fromRevision > 0 && spec.fromRevision < store.compactRevision()) {
        handlers.onError(new CcmError('compacted', 'compacted', { compactRevision: store.compactRevision() }));
        return { stop: () => undefined, syncedRevision: () => store.revision() };
      }
      for (let rev = w.next; rev <= store.revision(); rev++) {
        const events = store.events(rev, rev, -1).filter((e) => inSpan(spec.span, e.kv.key));
        if (events.length > 0) handlers.onEvents(shape(events, spec.prevKv), rev);
      }
      w.next = store.revision() + 1;
      watchers.add(w);
      return { stop: () => watchers.delete(w), syncedRevision: () => store.revision() };
    },
    raft: () => ({ term: 1, leaderId: 'n1', lastIndex: index, appliedIndex: index, voters: ['n1'], learners: [] }),
    position: () => ({ term: 1, revision: store.revision() }),
    nodes: () => ({ n1: { host: '127.0.0.1', peerPort: 1, etcdPort: 2 } }),
    databaseBytes: () => 0,
    async transferLeader() {
      throw new CcmError('failed_precondition', 'one replica');
    },
    log: () => undefined,
  };
}
