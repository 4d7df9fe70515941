/** Failure detectors over heartbeat arrival times: pure, times passed in. */
export type { FailureDetector } from './failure-detector.js';
export { PhiAccrualDetector, defaultPhiAccrualOptions, validatePhiAccrualOptions, phiNormal, phiExponential, PHI_FACTOR } from './phi-accrual.js';
export type { PhiAccrualOptions } from './phi-accrual.js';
export { TimeoutDetector } from './timeout-detector.js';
export { ArrivalWindow } from './arrival-window.js';
export { PeerDetectors } from './peer-detectors.js';
export type { PeerReading } from './peer-detectors.js';
