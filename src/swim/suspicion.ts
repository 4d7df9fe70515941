import { MinHeap } from './min-heap.js';

/**
 * Lifeguard's suspicion timer (memberlist suspicion.go). A suspect timer starts at `max` and shrinks toward `min` as
 * independent confirmations arrive (k wanted); confirmations are de-duplicated per sender, and the first accuser does
 * not count (our own suspicion may be gossiped back to us).
 */

/** Minimum suspicion timeout: suspicionMult · max(1, log10(max(1, n))) · probeIntervalMs (memberlist suspicionTimeout). */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

/**
 * Confirmations wanted to drive the timer to its minimum: suspicionMult − 2, or 0 when the cluster is too small to give
 * them (n − 2 < k: take out ourselves and the suspect). With k = 0 the timer starts at the minimum.
 */
export function confirmationsWanted(suspicionMult: number, n: number): number {
  const k = Math.max(0, Math.floor(suspicionMult - 2));
  return n - 2 < k ? 0 : k;
}

/**
 * Time left before the suspect is declared dead, given n confirmations of k wanted and `elapsedMs` since the timer
 * started: timeout = max − (log(n+1) / log(k+1)) · (max − min), floored to the millisecond and never below min; the
 * result may be negative (fire now). With k < 1 the timeout is min from the start.
 */
export function remainingSuspicionTime(n: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs - elapsedMs;
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

/** One running suspicion timer: who accused, who confirmed, when it fires. */
export class Suspicion {
  private readonly confirmers = new Set<string>();
  private confirmations = 0;
  private deadline: number;

  constructor(
    readonly memberId: string,
    readonly incarnation: number,
    readonly firstAccuser: string,
    readonly confirmationsWanted: number,
    readonly minMs: number,
    readonly maxMs: number,
    readonly startedAtMs: number,
  ) {
    this.confirmers.add(firstAccuser);
    this.deadline = startedAtMs + remainingSuspicionTime(0, confirmationsWanted, 0, minMs, maxMs);
  }

  /**
   * Registers that `from` also suspects the member. Returns true if that is new information (then the caller
   * re-gossips it); false for a duplicate, or once k confirmations are in.
   */
  confirm(from: string, nowMs: number): boolean {
    if (this.confirmations >= this.confirmationsWanted) return false;
    if (this.confirmers.has(from)) return false;
    this.confirmers.add(from);
    this.confirmations++;
    const elapsed = nowMs - this.startedAtMs;
    this.deadline = nowMs + remainingSuspicionTime(this.confirmations, this.confirmationsWanted, elapsed, this.minMs, this.maxMs);
    return true;
  }

  /** Monotonic time at which the member is declared dead. */
  deadlineMs(): number {
    return this.deadline;
  }

  /** Independent confirmations counted (the first accuser excluded). */
  confirmationCount(): number {
    return this.confirmations;
  }

  /** The first accuser, then each confirmer, in arrival order. */
  accusers(): string[] {
    return [...this.confirmers];
  }
}

/**
 * The running suspicion timers of one node, by member, with the next deadline in O(log m): a heap with lazy
 * deletion, since confirmations only ever bring a deadline earlier (a new heap entry) and a refutation drops a timer.
 */
export class SuspicionTimers {
  private readonly byMember = new Map<string, Suspicion>();
  private readonly heap = new MinHeap<{ atMs: number; suspicion: Suspicion }>((a, b) => a.atMs < b.atMs);

  get size(): number {
    return this.byMember.size;
  }

  get(memberId: string): Suspicion | undefined {
    return this.byMember.get(memberId);
  }

  values(): IterableIterator<Suspicion> {
    return this.byMember.values();
  }

  start(s: Suspicion): void {
    this.byMember.set(s.memberId, s);
    this.track(s);
  }

  /** Call after `s.confirm()` returned true: its deadline moved earlier. */
  track(s: Suspicion): void {
    this.heap.push({ atMs: s.deadlineMs(), suspicion: s });
    if (this.heap.length > 4 * this.byMember.size + 64) this.heap.rebuild((e) => this.isCurrent(e));
  }

  delete(memberId: string): boolean {
    return this.byMember.delete(memberId);
  }

  nextDeadlineMs(): number {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return Infinity;
      if (this.isCurrent(top)) return top.atMs;
      this.heap.pop();
    }
  }

  /** Removes and returns the timers due at `nowMs`, earliest first. */
  takeDue(nowMs: number): Suspicion[] {
    const due: Suspicion[] = [];
    while (this.nextDeadlineMs() <= nowMs) {
      const { suspicion } = this.heap.pop()!;
      this.byMember.delete(suspicion.memberId);
      due.push(suspicion);
    }
    return due;
  }

  private isCurrent(e: { atMs: number; suspicion: Suspicion }): boolean {
    return this.byMember.get(e.suspicion.memberId) === e.suspicion && e.suspicion.deadlineMs() === e.atMs;
  }
}
