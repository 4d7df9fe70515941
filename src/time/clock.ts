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

/**
 * The machine's clock, with an optional offset applied to wall time (chaos `skew`) and an optional rate applied to
 * monotonic time (chaos `clock-rate`: at 2x the node's timers and lease TTLs run twice as fast as real time).
 */
export class SystemClock implements Clock {
  /** Added to wall time; chaos skew sets it. */
  skewMs = 0;
  private rateValue = 1;
  /** Monotonic time as of the last rate change, and the real time it was made at: time runs at `rate` since. */
  private anchorRealMs: number;
  private anchorClockMs: number;

  /** `realNowMs`: the machine's monotonic time (a test may pass its own). */
  constructor(private readonly realNowMs: () => number = () => performance.now()) {
    this.anchorRealMs = realNowMs();
    this.anchorClockMs = this.anchorRealMs;
  }

  nowMs(): number {
    return Date.now() + this.skewMs;
  }

  monotonicMs(): number {
    return this.anchorClockMs + (this.realNowMs() - this.anchorRealMs) * this.rateValue;
  }

  /** How fast monotonic time runs against real time (1: right). */
  get rate(): number {
    return this.rateValue;
  }

  /** Changes the rate from now on; monotonic time stays continuous. */
  setRate(rate: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`clock rate must be positive (got ${rate})`);
    this.anchorClockMs = this.monotonicMs();
    this.anchorRealMs = this.realNowMs();
    this.rateValue = rate;
  }

  /** Real milliseconds for `clockMs` of this clock to pass (what a timer is set to). */
  realMs(clockMs: number): number {
    return clockMs / this.rateValue;
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
