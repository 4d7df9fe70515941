/**
 * ReadIndex bookkeeping on the leader (Raft thesis §6.4, etcd's read_only.go). Each read records the commit
 * index at request time; a heartbeat round carrying the newest pending context confirms leadership for every
 * read queued up to that context once a quorum echoes it back.
 */
import type { NodeId } from './messages.js';

interface PendingRead {
  requestCtx: string;
  /** The leader's commit index when the read was requested. */
  index: number;
  /** Voters (and others) that acknowledged a heartbeat carrying this context. */
  acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];
  private head = 0;

  /** Queues a read at `index`; a duplicate context is ignored (contexts must be unique). */
  addRequest(index: number, requestCtx: string, self: NodeId): void {
    if (this.pending.has(requestCtx)) return;
    this.pending.set(requestCtx, { requestCtx, index, acks: new Set([self]) });
    this.queue.push(requestCtx);
  }

  /** Records that `from` echoed `ctx`; returns the acks so far, or undefined if the context is not pending. */
  recvAck(from: NodeId, ctx: string): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(ctx);
    if (rs === undefined) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Releases every read queued up to and including `ctx` (a quorum confirmed it), oldest first. */
  advance(ctx: string): { requestCtx: string; index: number }[] {
    const at = this.queue.indexOf(ctx, this.head);
    if (at < 0) return [];
    const released: { requestCtx: string; index: number }[] = [];
    for (let i = this.head; i <= at; i++) {
      const rs = this.pending.get(this.queue[i]);
      if (rs !== undefined) {
        released.push({ requestCtx: rs.requestCtx, index: rs.index });
        this.pending.delete(rs.requestCtx);
      }
    }
    this.head = at + 1;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return released;
  }

  /** The newest pending context (the one a heartbeat round should carry), or ''. */
  lastPendingRequestCtx(): string {
    return this.queue.length > this.head ? this.queue[this.queue.length - 1] : '';
  }

  pendingCount(): number {
    return this.pending.size;
  }

  /** Drops every pending read (leadership lost) and returns their contexts. */
  clear(): string[] {
    const ctxs = this.queue.slice(this.head).filter((c) => this.pending.has(c));
    this.pending.clear();
    this.queue = [];
    this.head = 0;
    return ctxs;
  }
}
