import { CcmError } from '../../errors/ccm-error.js';
import { inSpan } from '../../core/key-span.js';
import type { WatchEvent } from '../../core/kv-types.js';
import { RefusedInput } from '../../net/input-rejections.js';
import { withPrevKv } from '../../core/prev-kv.js';
import type { RaftDriver } from '../raft/raft-driver.js';
import type { WatchBatch, WatchSpec } from '../../services/core-port.js';

export type { WatchBatch, WatchSpec };

/** Events read per page while catching up from history. */
const HISTORY_PAGE = 1000;
/**
 * Subscriptions one replica's hub holds at once: its own client streams (at most MAX_WATCH_STREAMS), members'
 * relays (one per long poll in flight) and lock waiters. Past it a new one is refused with resource_exhausted.
 */
export const MAX_WATCHERS = 8192;

/**
 * Watches on a replica: every matching event once, in revision order, with no gap: first from the event
 * log (history), then live from the apply stream. Both happen on one thread and the history read is
 * synchronous, so no applied event can slip between the two.
 */
export class WatchHub {
  private readonly watchers = new Set<{ spec: WatchSpec; nextRevision: number; deliver: (b: WatchBatch) => void }>();
  readonly counters = { eventsSent: 0, watchesOpened: 0 };

  constructor(private readonly driver: RaftDriver) {
    driver.onApply((applied) => {
      const events = applied.effects.events;
      if (events.length === 0 || this.watchers.size === 0) return;
      const revision = events[0].kv.modRevision;
      // Several watchers asking for prev_kv of the same event: look it up once.
      const prevOf = new Map<WatchEvent, WatchEvent>();
      const withPrev = (e: WatchEvent): WatchEvent => {
        let found = prevOf.get(e);
        if (!found) prevOf.set(e, (found = withPrevKv(this.driver.state, e)));
        return found;
      };
      for (const w of this.watchers) {
        if (revision < w.nextRevision) continue;
        let matching = events.filter((e) => matches(w.spec, e.kv.key));
        if (w.spec.prevKv) matching = matching.map(withPrev);
        w.nextRevision = revision + 1;
        if (matching.length === 0) continue;
        this.counters.eventsSent += matching.length;
        w.deliver({ events: matching, revision });
      }
    });
  }

  get size(): number {
    return this.watchers.size;
  }

  revision(): number {
    return this.driver.state.revision();
  }

  /**
   * Starts a watch: delivers history from `fromRevision` at once, then live batches. Throws `compacted` if the
   * history needed is gone. Returns the function that stops it.
   */
  subscribe(spec: WatchSpec, deliver: (b: WatchBatch) => void): () => void {
    if (this.watchers.size >= MAX_WATCHERS) {
      throw new RefusedInput('too_many_watchers', 'resource_exhausted', `this replica already holds ${MAX_WATCHERS} watchers; try again later`, { limit: 'watchers_per_node' });
    }
    const state = this.driver.state;
    const compactRevision = state.compactRevision();
    if (spec.fromRevision > 0 && spec.fromRevision < compactRevision) {
      throw new CcmError('compacted', `revision ${spec.fromRevision} was compacted; the oldest revision kept is ${compactRevision}. Read the current state and watch from its revision + 1.`, {
        compactRevision,
        revision: state.revision(),
      });
    }
    const current = state.revision();
    let next = spec.fromRevision > 0 ? spec.fromRevision : current + 1;
    while (next <= current) {
      const page = state.events(next, current, HISTORY_PAGE);
      if (page.length === 0) break;
      // Never split one revision's events across pages.
      let end = page.length;
      const lastRev = page[page.length - 1].kv.modRevision;
      if (page.length === HISTORY_PAGE && lastRev < current) while (end > 0 && page[end - 1].kv.modRevision === lastRev) end--;
      // One revision bigger than a page (a lease revoking many keys): read that revision whole.
      const chunk = end === 0 ? state.events(lastRev, lastRev, -1) : page.slice(0, end);
      for (const group of groupByRevision(chunk)) {
        let matching = group.filter((e) => matches(spec, e.kv.key));
        if (spec.prevKv) matching = matching.map((e) => withPrevKv(state, e));
        if (matching.length > 0) {
          this.counters.eventsSent += matching.length;
          deliver({ events: matching, revision: group[0].kv.modRevision });
        }
      }
      next = chunk[chunk.length - 1].kv.modRevision + 1;
    }
    const watcher = { spec, nextRevision: Math.max(next, current + 1), deliver };
    this.watchers.add(watcher);
    this.counters.watchesOpened++;
    return () => this.watchers.delete(watcher);
  }
}

export function matches(spec: { key: string; prefix: boolean; end?: string | null }, key: string): boolean {
  if (spec.end !== undefined) return inSpan({ key: spec.key, end: spec.end }, key);
  return spec.prefix ? key.startsWith(spec.key) : key === spec.key;
}

function groupByRevision(events: WatchEvent[]): WatchEvent[][] {
  const groups: WatchEvent[][] = [];
  for (const e of events) {
    const last = groups[groups.length - 1];
    if (last && last[0].kv.modRevision === e.kv.modRevision) last.push(e);
    else groups.push([e]);
  }
  return groups;
}
