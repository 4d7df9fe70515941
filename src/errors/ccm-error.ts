/**
 * Expected errors, shared by the HTTP API, the client and the CLI. Each has a stable `code`; the HTTP API
 * answers `{ "error": { "code", "message" } }` with the status below, and the CLI exits non-zero with it.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'failed_precondition'
  | 'held'
  | 'no_leader'
  | 'not_leader'
  | 'unavailable'
  | 'timeout'
  | 'compacted'
  | 'proposal_dropped'
  | 'not_running'
  /** A bound was reached (connections, watchers, waiters per resource, calls in flight): try again later. */
  | 'resource_exhausted'
  | 'unauthenticated'
  | 'permission_denied'
  | 'unsupported_media_type'
  | 'stale_token'
  | 'internal';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 412,
  held: 409,
  no_leader: 503,
  not_leader: 503,
  unavailable: 503,
  timeout: 504,
  compacted: 410,
  proposal_dropped: 503,
  not_running: 503,
  resource_exhausted: 429,
  unauthenticated: 401,
  permission_denied: 403,
  unsupported_media_type: 415,
  stale_token: 409,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class CcmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CcmError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }

  static fromBody(body: unknown, fallbackStatus = 500): CcmError {
    const e = (body as ErrorBody | undefined)?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return new CcmError(e.code, e.message, e.details);
    return new CcmError(fallbackStatus >= 500 ? 'internal' : 'invalid_argument', `unexpected response (HTTP ${fallbackStatus})`);
  }
}

export function invalidArgument(message: string): CcmError {
  return new CcmError('invalid_argument', message);
}
