/**
 * Time as the protocol cores see it. Cores never call Date.now or setTimeout: they are handed a Clock
 * (real in node/, simulated in sim/), so that a run can be replayed exactly.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (may be skewed by chaos). Use only for display and join times. */
  nowMs(): number;
  /** Monotonic milliseconds from an arbitrary origin; use for every duration and timeout. */
  monotonicMs(): number;
}

/** The machine's clock, with an optional offset (chaos `skew`) applied to wall time. */
export class SystemClock implements Clock {
  /** Added to wall time; chaos skew sets it. */
  skewMs = 0;
  nowMs(): number {
    return Date.now() + this.skewMs;
  }
  monotonicMs(): number {
    return performance.now();
  }
}

/** A clock that moves only when told to: used by simulators and tests. */
export class ManualClock implements Clock {
  constructor(private currentMs = 0, private readonly epochMs = 1_700_000_000_000) {}
  nowMs(): number {
    return this.epochMs + this.currentMs;
  }
  monotonicMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`clock cannot go back (advance ${ms})`);
    this.currentMs += ms;
  }
  set(ms: number): void {
    if (ms < this.currentMs) throw new RangeError(`clock cannot go back (${this.currentMs} -> ${ms})`);
    this.currentMs = ms;
  }
}
