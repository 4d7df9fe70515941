/**
 * Timers, for code that must also run in a simulation (the coordination services): the node hands them the
 * machine's timers, a simulation its virtual ones. `now()` is the time deadlines are measured in.
 */
export interface Scheduler {
  /** Milliseconds since the epoch (deadlines are absolute times on this scale). */
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Runs `fn` every `ms`; the returned function stops it. */
  every(ms: number, fn: () => void): () => void;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

/** The machine's timers. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  everyMs?: number;
  cancelled: boolean;
}

/**
 * Virtual time: timers run only when the owner advances it, in time order (ties in the order they were set), so a
 * run replays exactly. `advanceTo` lets promise continuations settle between timers (they may set more timers).
 */
export class VirtualScheduler implements Scheduler {
  private current: number;
  private seq = 0;
  private readonly pending: Pending[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): () => void {
    return this.add(ms, fn, undefined);
  }

  every(ms: number, fn: () => void): () => void {
    return this.add(ms, fn, Math.max(1, ms));
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** When the next timer is due (Infinity: none). */
  nextDueMs(): number {
    let due = Infinity;
    for (const p of this.pending) if (!p.cancelled && p.at < due) due = p.at;
    return due;
  }

  /** Runs every timer due up to `ms` (in order, settling promises after each), then sets the time to `ms`. */
  async advanceTo(ms: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.takeNext(ms);
      if (!next) break;
      this.current = next.at;
      // A repeating timer is queued again as the same object, so its cancel function still reaches it.
      if (next.everyMs !== undefined) {
        next.at += next.everyMs;
        next.seq = this.seq++;
        this.pending.push(next);
      }
      next.fn();
    }
    this.current = Math.max(this.current, ms);
    await settle();
  }

  async advanceBy(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  private add(ms: number, fn: () => void, everyMs: number | undefined): () => void {
    const p: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, everyMs, cancelled: false };
    this.pending.push(p);
    return () => {
      p.cancelled = true;
    };
  }

  /** Takes the earliest timer due by `limit` (ties: the one set first), dropping cancelled ones on the way. */
  private takeNext(limit: number): Pending | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i].cancelled) this.pending.splice(i, 1);
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.at > limit) continue;
      if (best < 0 || p.at < this.pending[best].at || (p.at === this.pending[best].at && p.seq < this.pending[best].seq)) best = i;
    }
    return best < 0 ? undefined : this.pending.splice(best, 1)[0];
  }
}

/** Lets pending promise continuations run (several turns, as async functions chain several). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
