import { CcmError } from '../errors/ccm-error.js';
import { ArrivalWindow } from './arrival-window.js';
import type { FailureDetector } from './failure-detector.js';

/** Knobs of the phi accrual detector; defaults are Akka Cluster's (reference.conf). */
export interface PhiAccrualOptions {
  /** phi at or above which the peer counts as unavailable (Akka 8, Cassandra phi_convict_threshold 8). */
  threshold: number;
  /** Intervals kept in the arrival window (Akka max-sample-size 1000, Cassandra 1000). */
  maxSampleSize: number;
  /** Floor on the standard deviation, so very regular heartbeats do not make phi explode on tiny jitter (Akka 100 ms). */
  minStdDeviationMs: number;
  /** Added to the mean: a pause this long is still normal (Akka acceptable-heartbeat-pause 3 s). */
  acceptableHeartbeatPauseMs: number;
  /** The window starts with this mean (and a quarter of it as deviation) until real intervals come (Akka 1 s). */
  firstHeartbeatEstimateMs: number;
  /**
   * 'normal' (Akka: logistic approximation of the normal CDF over mean + pause, stddev) or 'exponential'
   * (Cassandra: phi = t / mean · 1/ln 10, memoryless arrivals).
   */
  distribution: 'normal' | 'exponential';
}

export function defaultPhiAccrualOptions(): PhiAccrualOptions {
  return {
    threshold: 8,
    maxSampleSize: 1000,
    minStdDeviationMs: 100,
    acceptableHeartbeatPauseMs: 3000,
    firstHeartbeatEstimateMs: 1000,
    distribution: 'normal',
  };
}

export function validatePhiAccrualOptions(o: PhiAccrualOptions): PhiAccrualOptions {
  const check = (field: keyof PhiAccrualOptions, ok: boolean, range: string): void => {
    if (!ok) throw new CcmError('invalid_argument', `phi accrual: ${field} must be ${range} (got ${String(o[field])})`);
  };
  check('threshold', Number.isFinite(o.threshold) && o.threshold > 0, 'a number > 0');
  check('maxSampleSize', Number.isInteger(o.maxSampleSize) && o.maxSampleSize >= 1 && o.maxSampleSize <= 100_000, 'an integer in [1, 100000]');
  check('minStdDeviationMs', Number.isFinite(o.minStdDeviationMs) && o.minStdDeviationMs > 0, 'a number > 0');
  check('acceptableHeartbeatPauseMs', Number.isFinite(o.acceptableHeartbeatPauseMs) && o.acceptableHeartbeatPauseMs >= 0, 'a number >= 0');
  check('firstHeartbeatEstimateMs', Number.isFinite(o.firstHeartbeatEstimateMs) && o.firstHeartbeatEstimateMs > 0, 'a number > 0');
  check('distribution', o.distribution === 'normal' || o.distribution === 'exponential', "'normal' or 'exponential'");
  return o;
}

/** 1 / ln 10: Cassandra's PHI_FACTOR, turning -log10(e^(−t/mean)) into t/mean · PHI_FACTOR. */
export const PHI_FACTOR = 1 / Math.LN10;

/**
 * phi under the normal assumption (Akka PhiAccrualFailureDetector.phi): −log10 of the probability that a heartbeat
 * comes later than `elapsedMs`, with a logistic approximation of the normal CDF.
 */
export function phiNormal(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsedMs > meanMs) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}

/** phi under the exponential assumption (Cassandra FailureDetector): t / mean · 1/ln 10. */
export function phiExponential(elapsedMs: number, meanMs: number): number {
  return meanMs > 0 ? (PHI_FACTOR * elapsedMs) / meanMs : Infinity;
}

/** The phi accrual failure detector (Hayashibara et al.) over one peer's heartbeat arrivals. */
export class PhiAccrualDetector implements FailureDetector {
  readonly options: PhiAccrualOptions;
  private readonly window: ArrivalWindow;
  private last: number | undefined;

  constructor(options: Partial<PhiAccrualOptions> = {}) {
    this.options = validatePhiAccrualOptions({ ...defaultPhiAccrualOptions(), ...options });
    this.window = new ArrivalWindow(this.options.maxSampleSize);
  }

  heartbeat(nowMs: number): void {
    if (this.last === undefined) {
      // Akka's first heartbeat: seed the window with mean ± a quarter of the estimate.
      const mean = this.options.firstHeartbeatEstimateMs;
      const deviation = mean / 4;
      this.window.add(mean - deviation);
      this.window.add(mean + deviation);
      this.last = nowMs;
      return;
    }
    const interval = nowMs - this.last;
    if (interval < 0) return;
    // An interval that ends a failure (phi already over the threshold) would skew the statistics: not recorded.
    if (this.isAvailable(nowMs)) this.window.add(interval);
    this.last = nowMs;
  }

  phi(nowMs: number): number {
    if (this.last === undefined) return 0;
    const elapsed = Math.max(0, nowMs - this.last);
    if (this.options.distribution === 'exponential') return phiExponential(elapsed, this.window.mean());
    const mean = this.window.mean() + this.options.acceptableHeartbeatPauseMs;
    const std = Math.max(this.window.stdDeviation(), this.options.minStdDeviationMs);
    return phiNormal(elapsed, mean, std);
  }

  isAvailable(nowMs: number, threshold = this.options.threshold): boolean {
    return this.phi(nowMs) < threshold;
  }

  lastHeartbeatMs(): number | undefined {
    return this.last;
  }

  /** The arrival statistics, for display. */
  statistics(): { samples: number; meanMs: number; stdDeviationMs: number } {
    return { samples: this.window.size, meanMs: this.window.mean(), stdDeviationMs: this.window.stdDeviation() };
  }
}
