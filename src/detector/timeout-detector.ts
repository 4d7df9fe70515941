import { CcmError } from '../errors/ccm-error.js';
import type { FailureDetector } from './failure-detector.js';

/**
 * The plain detector, for comparison: a peer is unavailable once `timeoutMs` pass without a heartbeat. Its suspicion
 * level is elapsed / timeout, so the default threshold 1 is the timeout itself and a level of 2 is twice the timeout.
 */
export class TimeoutDetector implements FailureDetector {
  private last: number | undefined;

  constructor(readonly timeoutMs: number) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CcmError('invalid_argument', `timeout detector: timeoutMs must be a number > 0 (got ${timeoutMs})`);
  }

  heartbeat(nowMs: number): void {
    if (this.last === undefined || nowMs >= this.last) this.last = nowMs;
  }

  phi(nowMs: number): number {
    return this.last === undefined ? 0 : Math.max(0, nowMs - this.last) / this.timeoutMs;
  }

  isAvailable(nowMs: number, threshold = 1): boolean {
    return this.phi(nowMs) < threshold;
  }

  lastHeartbeatMs(): number | undefined {
    return this.last;
  }
}
