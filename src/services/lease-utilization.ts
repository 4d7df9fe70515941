/**
 * Lease utilization per resource, as the lease manager's applied changes show it on one replica: the share of time
 * the resource was held, grants, hold and wait times (mean, p99), the queue's depth, refusals, and the recent
 * grants with their fencing tokens and how each ended (released, expired, revoked), for `ccm lease inspect`,
 * `ccm explain lease`, /metrics and the TUI's lease panel.
 *
 * Pure: fed every applied command's result and watch events with the time, it keeps bounded figures (at most
 * `maxResources` resources, the latest `samplesKept` holds and waits of each, the last few grants and refusals).
 * Every replica applies the same commands, so every replica's figures agree, over the time it has been running
 * (`sinceMs`); the leader's are the ones served.
 */
import type { LockStatsView } from '../api/api-types.js';
import { LOCK_PREFIX, LOCK_QUEUE_PREFIX, type WatchEvent } from '../core/kv-types.js';
import type { ApplyResult } from '../core/state-machine.js';

export interface LeaseUtilizationOptions {
  maxResources?: number;
  samplesKept?: number;
  recentKept?: number;
}

/** How a hold ended. */
export type HoldEnd = 'released' | 'expired' | 'revoked';

interface ResourceFigures {
  resource: string;
  sinceWallMs: number;
  sinceMonoMs: number;
  lastActivityMonoMs: number;
  grants: number;
  refusals: number;
  /** Waiters that left the queue without the resource (their wait ran out or they went away). */
  waitsAbandoned: number;
  heldMsTotal: number;
  holder: { holder: string; lease: number; token: number; sinceMonoMs: number; sinceWallMs: number; waitedMs: number | null } | null;
  /** lease → when it was queued (mono) */
  queue: Map<number, { holder: string; queuedMonoMs: number }>;
  maxQueueDepth: number;
  holdSamplesMs: number[];
  waitSamplesMs: number[];
  recentGrants: LockStatsView['recentGrants'];
  recentRefusals: LockStatsView['recentRefusals'];
}

/** The resource a lock or queue key belongs to. */
function resourceOf(key: string): { resource: string; isQueue: boolean } | null {
  if (key.startsWith(LOCK_PREFIX)) return { resource: key.slice(LOCK_PREFIX.length), isQueue: false };
  if (key.startsWith(LOCK_QUEUE_PREFIX)) {
    const rest = key.slice(LOCK_QUEUE_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    return slash > 0 ? { resource: rest.slice(0, slash), isQueue: true } : null;
  }
  return null;
}

function parseHolder(value: string): { holder: string; lease: number } | null {
  try {
    const v = JSON.parse(value) as { holder?: unknown; lease?: unknown };
    return typeof v.holder === 'string' && typeof v.lease === 'number' ? { holder: v.holder, lease: v.lease } : null;
  } catch {
    return null;
  }
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function stats(samples: readonly number[]): { count: number; meanMs: number | null; p99Ms: number | null; maxMs: number | null } {
  if (samples.length === 0) return { count: 0, meanMs: null, p99Ms: null, maxMs: null };
  const sorted = [...samples].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
  return { count: samples.length, meanMs: Math.round(sorted.reduce((n, v) => n + v, 0) / sorted.length), p99Ms: Math.round(p99), maxMs: Math.round(sorted[sorted.length - 1]) };
}

export class LeaseUtilization {
  private readonly resources = new Map<string, ResourceFigures>();
  private readonly maxResources: number;
  private readonly samplesKept: number;
  private readonly recentKept: number;

  constructor(
    /** When this replica started observing (wall ms). */
    readonly sinceMs: number,
    options: LeaseUtilizationOptions = {},
  ) {
    this.maxResources = options.maxResources ?? 1000;
    this.samplesKept = options.samplesKept ?? 1000;
    this.recentKept = options.recentKept ?? 20;
  }

  /**
   * One applied command: its result, the watch events it produced, and who asked (for a refused acquire: the
   * requester's holder name, from the command).
   */
  observe(result: ApplyResult, events: readonly WatchEvent[], wallMs: number, monoMs: number, requester?: string): void {
    if (result.op === 'acquire' && !result.granted && !result.queued) {
      const r = this.figures(result.resource, wallMs, monoMs);
      r.refusals++;
      pushBounded(r.recentRefusals, { holder: requester ?? '?', atMs: wallMs, heldBy: result.heldBy.holder, heldByToken: result.heldBy.token }, this.recentKept);
    }
    const end: HoldEnd = result.op === 'lease-expire' ? 'expired' : result.op === 'lease-revoke' ? 'revoked' : 'released';
    // Frees before grants: a hand-over frees and grants in one apply.
    const ordered = [...events].sort((a, b) => (a.type === b.type ? 0 : a.type === 'delete' ? -1 : 1));
    for (const e of ordered) {
      const where = resourceOf(e.kv.key);
      if (!where) continue;
      const r = this.figures(where.resource, wallMs, monoMs);
      if (where.isQueue) {
        const entry = parseHolder(e.kv.value);
        if (e.type === 'put' && entry) {
          r.queue.set(entry.lease, { holder: entry.holder, queuedMonoMs: monoMs });
          r.maxQueueDepth = Math.max(r.maxQueueDepth, r.queue.size);
        } else if (e.type === 'delete') {
          // the entry's value is gone from a delete event; find it by what is granted in this same apply
          const lease = e.kv.lease;
          const granted = ordered.some((g) => g.type === 'put' && g.kv.key === LOCK_PREFIX + where.resource && parseHolder(g.kv.value)?.lease === lease);
          if (!granted && r.queue.delete(lease)) r.waitsAbandoned++;
        }
        continue;
      }
      if (e.type === 'delete') {
        if (r.holder) {
          const heldMs = monoMs - r.holder.sinceMonoMs;
          r.heldMsTotal += heldMs;
          pushBounded(r.holdSamplesMs, heldMs, this.samplesKept);
          const last = r.recentGrants.find((g) => g.lease === r.holder!.lease && g.endedAtMs === null);
          if (last) {
            last.endedAtMs = wallMs;
            last.end = end;
          }
        }
        r.holder = null;
        continue;
      }
      const holder = parseHolder(e.kv.value);
      if (!holder || e.kv.createRevision !== e.kv.modRevision) continue; // not a new grant
      const queued = r.queue.get(holder.lease);
      r.queue.delete(holder.lease);
      const waitedMs = queued ? monoMs - queued.queuedMonoMs : 0;
      pushBounded(r.waitSamplesMs, waitedMs, this.samplesKept);
      r.grants++;
      r.holder = { holder: holder.holder, lease: holder.lease, token: e.kv.createRevision, sinceMonoMs: monoMs, sinceWallMs: wallMs, waitedMs: queued ? waitedMs : null };
      pushBounded(r.recentGrants, { holder: holder.holder, lease: holder.lease, token: e.kv.createRevision, grantedAtMs: wallMs, waitedMs: queued ? Math.round(waitedMs) : null, endedAtMs: null, end: null }, this.recentKept);
    }
  }

  /** The figures of one resource, or of every resource seen (most active first). */
  view(monoMs: number, resource?: string): LockStatsView[] {
    const list = resource !== undefined ? [this.resources.get(resource)].filter((r): r is ResourceFigures => r !== undefined) : [...this.resources.values()];
    return list
      .sort((a, b) => b.lastActivityMonoMs - a.lastActivityMonoMs)
      .map((r) => {
        const observedMs = Math.max(1, monoMs - r.sinceMonoMs);
        const heldMs = r.heldMsTotal + (r.holder ? monoMs - r.holder.sinceMonoMs : 0);
        return {
          resource: r.resource,
          sinceMs: r.sinceWallMs,
          observedMs: Math.round(observedMs),
          heldFraction: Math.min(1, heldMs / observedMs),
          grants: r.grants,
          refusals: r.refusals,
          waitsAbandoned: r.waitsAbandoned,
          queueDepth: r.queue.size,
          maxQueueDepth: r.maxQueueDepth,
          hold: stats(r.holdSamplesMs),
          wait: stats(r.waitSamplesMs),
          holder: r.holder ? { holder: r.holder.holder, lease: r.holder.lease, token: r.holder.token, sinceMs: r.holder.sinceWallMs } : null,
          waiting: [...r.queue.entries()].map(([lease, q]) => ({ holder: q.holder, lease, waitingMs: Math.round(monoMs - q.queuedMonoMs) })),
          recentGrants: r.recentGrants.map((g) => ({ ...g })),
          recentRefusals: r.recentRefusals.map((g) => ({ ...g })),
        };
      });
  }

  private figures(resource: string, wallMs: number, monoMs: number): ResourceFigures {
    let r = this.resources.get(resource);
    if (!r) {
      if (this.resources.size >= this.maxResources) this.evictQuietest();
      r = {
        resource,
        sinceWallMs: wallMs,
        sinceMonoMs: monoMs,
        lastActivityMonoMs: monoMs,
        grants: 0,
        refusals: 0,
        waitsAbandoned: 0,
        heldMsTotal: 0,
        holder: null,
        queue: new Map(),
        maxQueueDepth: 0,
        holdSamplesMs: [],
        waitSamplesMs: [],
        recentGrants: [],
        recentRefusals: [],
      };
      this.resources.set(resource, r);
    }
    r.lastActivityMonoMs = monoMs;
    return r;
  }

  private evictQuietest(): void {
    let quietest: ResourceFigures | undefined;
    for (const r of this.resources.values()) if (!r.holder && (!quietest || r.lastActivityMonoMs < quietest.lastActivityMonoMs)) quietest = r;
    quietest ??= [...this.resources.values()].sort((a, b) => a.lastActivityMonoMs - b.lastActivityMonoMs)[0];
    if (quietest) this.resources.delete(quietest.resource);
  }
}
