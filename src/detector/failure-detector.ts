/**
 * What every per-peer failure detector offers: feed it each sign of life from the peer (every packet received), ask
 * it how suspicious the silence is. Times are passed in (monotonic ms), so detectors are pure and replayable.
 */
export interface FailureDetector {
  /** A sign of life from the peer at `nowMs`. */
  heartbeat(nowMs: number): void;
  /** Suspicion level at `nowMs`: 0 means fine, larger means more likely failed. 0 before any heartbeat. */
  phi(nowMs: number): number;
  /** phi(nowMs) < threshold (each detector has a default threshold). True before any heartbeat. */
  isAvailable(nowMs: number, threshold?: number): boolean;
  /** Time of the last heartbeat, if any. */
  lastHeartbeatMs(): number | undefined;
}
