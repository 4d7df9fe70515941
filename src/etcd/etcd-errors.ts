/**
 * etcd's errors as its server sends them (api/v3rpc/rpctypes/error.go): a gRPC status code and a message that
 * clients match on (clientv3 turns the message back into its typed error), so ccm sends the same ones.
 */
import type { CcmError, ErrorCode } from '../errors/ccm-error.js';

/**
 * gRPC status codes (fixed by the gRPC spec; the same numbers as @grpc/grpc-js's `status`), here so that this module
 * does not load grpc-js: a node loads it only when a client first connects to its etcd port.
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

export class EtcdError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const e = (code: GrpcStatus, message: string): EtcdError => new EtcdError(code, message);

export const ETCD_ERRORS = {
  emptyKey: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  invalidSortOption: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: invalid sort option'),
  compacted: e(GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: e(GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: e(GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExist: e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTtlTooLarge: e(GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  requestTooLarge: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  tooManyRequests: e(GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  memberNotFound: e(GrpcStatus.NOT_FOUND, 'etcdserver: member not found'),
  userEmpty: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  authFailed: e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  authNotEnabled: e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: e(GrpcStatus.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  permissionDenied: e(GrpcStatus.PERMISSION_DENIED, 'etcdserver: permission denied'),
  noLeader: e(GrpcStatus.UNAVAILABLE, 'etcdserver: no leader'),
  notLeader: e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: not leader'),
  leaderChanged: e(GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed'),
  stopped: e(GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: e(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out'),
  timeoutConnectionLost: e(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out, possibly due to connection lost'),
  badLeaderTransferee: e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  watchCanceled: e(GrpcStatus.CANCELLED, 'etcdserver: watch canceled'),
} as const;

/** Something etcd would accept but ccm cannot store or do: the reason says what and why. */
export function notSupported(what: string): EtcdError {
  return new EtcdError(GrpcStatus.INVALID_ARGUMENT, `ccm: ${what}`);
}

export function invalidArgument(message: string): EtcdError {
  return new EtcdError(GrpcStatus.INVALID_ARGUMENT, `ccm: ${message}`);
}

/**
 * The ccm error code of an error thrown by the backend, if it is a CcmError. By its name, not instanceof: the gRPC
 * side runs from its own bundle (dist/etcd-grpc.js), with its own copy of the class.
 */
export function ccmErrorCode(err: unknown): ErrorCode | null {
  const e = err as Partial<CcmError> | null;
  return e?.name === 'CcmError' && typeof e.code === 'string' ? e.code : null;
}

/**
 * A ccm error (from the core, the Raft driver or forwarding) as etcd would have said it. The core marks the cases
 * etcd tells apart in `details`: which lease or key was missing, a revision in the future.
 */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  const code = ccmErrorCode(err);
  if (code === null) return new EtcdError(GrpcStatus.INTERNAL, `ccm: ${(err as Error)?.message ?? String(err)}`);
  const { message, details: raw } = err as CcmError;
  const details = (raw ?? {}) as { lease?: unknown; key?: unknown; reason?: unknown };
  switch (code) {
    case 'not_found':
      if (details.key !== undefined) return ETCD_ERRORS.keyNotFound;
      return ETCD_ERRORS.leaseNotFound;
    case 'already_exists':
      return ETCD_ERRORS.leaseExist;
    case 'compacted':
      return ETCD_ERRORS.compacted;
    case 'invalid_argument':
      if (details.reason === 'future-revision') return ETCD_ERRORS.futureRev;
      return new EtcdError(GrpcStatus.INVALID_ARGUMENT, `ccm: ${message}`);
    case 'no_leader':
    case 'not_leader':
      return ETCD_ERRORS.noLeader;
    case 'proposal_dropped':
      return ETCD_ERRORS.leaderChanged;
    case 'timeout':
      return /connection/.test(message) ? ETCD_ERRORS.timeoutConnectionLost : ETCD_ERRORS.timeout;
    case 'unavailable':
      return /shutting down/.test(message) ? ETCD_ERRORS.stopped : new EtcdError(GrpcStatus.UNAVAILABLE, `etcdserver: ${message}`);
    case 'failed_precondition':
    case 'conflict':
    case 'held':
      return new EtcdError(GrpcStatus.FAILED_PRECONDITION, `ccm: ${message}`);
    default:
      return new EtcdError(GrpcStatus.INTERNAL, `ccm: ${message}`);
  }
}
