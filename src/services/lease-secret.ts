import { createHash, randomBytes } from 'node:crypto';
import { CcmError } from '../errors/ccm-error.js';

/**
 * The per-grant secret: every grant (a lock, an election's leadership, a generic lease, a service instance)
 * returns one to its holder, once; renewing or ending the lease needs it, so the public lease id that
 * `ccm lease list` and GET /v1/locks show is not enough to release someone else's lock. Only its SHA-256
 * travels in commands and is stored (a Raft log or a state.db that leaks does not give it away).
 */
export function newLeaseSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(24).toString('base64url');
  return { secret, secretHash: hashOf(secret) };
}

/** The hash a command carries for the secret a client presented; a clear error when there is none or it is malformed. */
export function secretHashOf(secret: unknown): string {
  if (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(secret)) {
    throw new CcmError(
      'invalid_argument',
      secret === undefined || secret === ''
        ? 'this needs the lease\'s "secret" (returned once by its grant; the CLI takes --secret)'
        : 'the lease secret is malformed (it is the "secret" string the grant returned)',
    );
  }
  return hashOf(secret);
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
