import { CcmError } from '../../errors/ccm-error.js';
import type { WatchHandlers } from '../../services/core-port.js';
import type { CoreService } from '../core/core-service.js';
import type { NodeRuntime } from '../node-runtime.js';
import { CORE_WATCH_POLL } from '../peer-schemas.js';
import { WatchHub, type WatchBatch, type WatchSpec } from './watch-hub.js';
import type { RaftDriver } from '../raft/raft-driver.js';

/** How long a member's poll waits at a voter for new events. */
const POLL_WAIT_MS = 10_000;

/** Waits up to waitMs for events at or after spec.fromRevision (a member's long poll at a voter). */
function pollOnce(hub: WatchHub, spec: WatchSpec, waitMs: number): Promise<{ events: WatchBatch['events']; revision: number }> {
  return new Promise((resolve, reject) => {
    const collected: WatchBatch['events'] = [];
    let last = 0;
    let stop: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    let isDone = false;
    const finish = (): void => {
      if (isDone) return;
      isDone = true;
      stop?.();
      if (timer) clearTimeout(timer);
      resolve({ events: collected, revision: Math.max(last, hub.revision()) });
    };
    try {
      stop = hub.subscribe(spec, (b) => {
        collected.push(...b.events);
        last = b.revision;
        // Reply once the history (delivered synchronously) or the first live batch is in.
        if (timer) setImmediate(finish);
      });
    } catch (err) {
      reject(err);
      return;
    }
    if (collected.length > 0) {
      finish();
      return;
    }
    timer = setTimeout(finish, waitMs);
  });
}

/**
 * The feed of changes on a node, whatever its kind: a replica serves it from its own watch hub, and answers the long
 * polls of members, which relay it from the voters. The HTTP watch streams, the etcd API's watches, the lease
 * manager's waiters and the mirrors all read it here.
 */
export class ChangeFeed {
  /** This node's watch hub, once it has a replica of the core. */
  hub: WatchHub | null = null;

  constructor(
    private readonly node: NodeRuntime,
    private readonly core: CoreService,
  ) {
    node.rpc.handle(CORE_WATCH_POLL, (p) => {
      if (!this.hub) throw new CcmError('unavailable', `${node.config.id} holds no replica of the core`);
      return pollOnce(this.hub, p.spec, Math.min(p.waitMs, POLL_WAIT_MS));
    });
  }

  /** Serves changes from this replica from now on. */
  attach(driver: RaftDriver): void {
    this.hub = new WatchHub(driver);
  }

  /**
   * Subscribes to changes on this node, whatever its kind: a voter from its own hub, a member by long-polling
   * the voters in turn (resuming from its last revision). `onCreated` gets the revision the stream starts after.
   * Returns the function that stops it; `onError` ends it (compacted, or no voter answering).
   */
    subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void {
    const node = this.node;
    const hub = this.core.replica() ? this.hub : null;
    if (hub) {
      handlers.onCreated?.(hub.revision(), node.config.id);
      try {
        return hub.subscribe(spec, handlers.onBatch);
      } catch (err) {
        handlers.onError(err instanceof CcmError ? err : new CcmError('internal', (err as Error).message));
        return () => undefined;
      }
    }
    let isStopped = false;
    void (async () => {
      const gossipVoters = this.core.coreView?.().voters ?? [];
      const voters = gossipVoters.length > 0 ? gossipVoters : node.config.core;
      let cursor = 0;
      let next = spec.fromRevision;
      let isCreated = false;
      let failures = 0;
      while (!isStopped) {
        const voter = voters[cursor % voters.length];
        try {
          const r = await node.rpc.call(
            voter,
            CORE_WATCH_POLL,
            // The first poll only asks where the stream starts, so `created` goes out at once.
            { spec: { ...spec, fromRevision: next }, waitMs: isCreated ? POLL_WAIT_MS : 0 },
            POLL_WAIT_MS + 3000,
          );
          if (isStopped) return;
          failures = 0;
          if (!isCreated) {
            isCreated = true;
            handlers.onCreated?.(r.revision, `${node.config.id} via ${voter}`);
            if (next === 0) next = r.revision + 1;
          }
          for (const group of groupEvents(r.events)) handlers.onBatch({ events: group, revision: group[0].kv.modRevision });
          if (r.events.length > 0) next = r.events[r.events.length - 1].kv.modRevision + 1;
          else next = Math.max(next, r.revision + 1);
          handlers.onProgress?.(next - 1);
        } catch (err) {
          if (isStopped) return;
          if (err instanceof CcmError && err.code === 'compacted') {
            handlers.onError(err);
            return;
          }
          cursor++;
          if (++failures >= voters.length * 3) {
            handlers.onError(new CcmError('unavailable', `no voter answered the watch from ${node.config.id}; resume from revision ${next}`));
            return;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    return () => {
      isStopped = true;
    };
  }
}

function groupEvents(events: WatchBatch['events']): WatchBatch['events'][] {
  const out: WatchBatch['events'][] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last[0].kv.modRevision === e.kv.modRevision) last.push(e);
    else out.push([e]);
  }
  return out;
}
