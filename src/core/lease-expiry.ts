import type { Lease } from './kv-types.js';

/**
 * When each lease runs out, by this node's monotonic clock. Every voter keeps it (so a new leader has it at
 * once); only the leader acts on it, by proposing a conditional `lease-expire`.
 *
 * Why a lease never expires early across a leader change: a replica starts a lease's TTL when it *applies*
 * the grant or renewal, which is after the client sent it. A client that counts its TTL from the moment it
 * sent the request (as it must) therefore always believes the lease ends before any replica does. A replica
 * that restarts starts every lease's TTL afresh.
 */
export class LeaseExpiry {
  private readonly deadlines = new Map<number, { deadlineMs: number; renewals: number; ttlMs: number }>();
  /** Leases already proposed for expiry, and when, so we don't propose them on every tick. */
  private readonly proposedAt = new Map<number, number>();

  /** A grant or renewal was applied at `nowMs`. */
  touched(lease: Lease, nowMs: number): void {
    this.deadlines.set(lease.id, { deadlineMs: nowMs + lease.ttlMs, renewals: lease.renewals, ttlMs: lease.ttlMs });
    this.proposedAt.delete(lease.id);
  }

  removed(id: number): void {
    this.deadlines.delete(id);
    this.proposedAt.delete(id);
  }

  /** Leases past their deadline, not proposed for expiry within the last `retryMs`. Marks them proposed. */
  due(nowMs: number, retryMs: number, limit = 1000): { id: number; renewals: number }[] {
    const out: { id: number; renewals: number }[] = [];
    for (const [id, d] of this.deadlines) {
      if (d.deadlineMs > nowMs) continue;
      const at = this.proposedAt.get(id);
      if (at !== undefined && nowMs - at < retryMs) continue;
      this.proposedAt.set(id, nowMs);
      out.push({ id, renewals: d.renewals });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Whether this node also holds the lease overdue, at the renewal count the leader saw: a lease it does not know
   * (its grant not applied here yet), or at another renewal count (this node lags, or the leader does), is not.
   */
  isOverdue(id: number, renewals: number, nowMs: number): boolean {
    const d = this.deadlines.get(id);
    return d !== undefined && d.renewals === renewals && d.deadlineMs <= nowMs;
  }

  /** Milliseconds of TTL left for a lease by this node's clock (0 if past), or undefined if unknown. */
  remainingMs(id: number, nowMs: number): number | undefined {
    const d = this.deadlines.get(id);
    return d === undefined ? undefined : Math.max(0, d.deadlineMs - nowMs);
  }

  size(): number {
    return this.deadlines.size;
  }

  clear(): void {
    this.deadlines.clear();
    this.proposedAt.clear();
  }
}
