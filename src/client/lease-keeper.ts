import { CcmError } from '../errors/ccm-error.js';
import { fixedBackoff, retry } from '../time/backoff.js';

/**
 * What a holder may assume about its lease, client side (Chubby's rule, and etcd's clients'): the lease is valid
 * until the send time of the last request that proved it alive (the grant, or a confirmed renewal) plus the TTL,
 * less a margin for clock drift between this process and the servers. Every voter starts the TTL when it applies
 * the request, which is after the client sent it, so this deadline always comes first. It keeps the lease alive
 * (a renewal every TTL/3) and says "lost" the moment that deadline passes without a confirmed renewal, or as soon
 * as the core answers that the lease is gone: it never retries past the point where another holder may have it.
 */
export interface LeaseKeeperOptions {
  ttlMs: number;
  /** When the request that last proved the lease alive was sent, by `now()`. */
  validFromMs: number;
  /** One renewal, given a deadline; resolves when the core confirmed it. */
  renew: (timeoutMs: number) => Promise<unknown>;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** Subtracted from every deadline for clock drift (default: 5% of the TTL, at least 100 ms). */
  driftMarginMs?: number;
  /** A renewal failed for a reason that may pass (no leader, a node down): retried while the lease may still be valid. */
  onRetry?: (reason: string) => void;
  onRenewed?: (validUntilMs: number) => void;
}

/** Errors after which the lease is certainly gone (or never was this caller's). */
const LOST_CODES: ReadonlySet<string> = new Set(['not_found', 'failed_precondition', 'permission_denied']);
const RETRY_MS = 250;

export function driftMarginFor(ttlMs: number): number {
  return Math.max(100, Math.round(ttlMs * 0.05));
}

export class LeaseKeeper {
  /** Resolves with why, once the lease may be lost (never resolves if stopped first). */
  readonly lost: Promise<string>;
  private markLost!: (reason: string) => void;
  private validFromMs: number;
  private readonly now: () => number;
  private readonly marginMs: number;
  private renewTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private isDone = false;

  constructor(private readonly opts: LeaseKeeperOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.marginMs = opts.driftMarginMs ?? driftMarginFor(opts.ttlMs);
    this.validFromMs = opts.validFromMs;
    this.lost = new Promise((resolve) => (this.markLost = resolve));
    this.armDeadline();
    this.scheduleRenewal(this.validFromMs + opts.ttlMs / 3 - this.now());
  }

  /** Until when (by `now()`) the lease is certainly still this holder's. */
  validUntilMs(): number {
    return this.validFromMs + this.opts.ttlMs - this.marginMs;
  }

  /** Stops renewing (the caller releases the lease or exits). */
  stop(): void {
    this.isDone = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
  }

  private lose(reason: string): void {
    if (this.isDone) return;
    this.stop();
    this.markLost(reason);
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const left = this.validUntilMs() - this.now();
    this.deadlineTimer = setTimeout(() => {
      if (this.now() >= this.validUntilMs()) {
        this.lose(`lease lost: no renewal confirmed within its ${formatSeconds(this.opts.ttlMs)} TTL (less a ${this.marginMs} ms drift margin); another holder may have it now`);
      } else {
        this.armDeadline();
      }
    }, Math.max(0, left));
  }

  private scheduleRenewal(delayMs: number): void {
    if (this.isDone) return;
    this.renewTimer = setTimeout(() => void this.renewOnce(), Math.max(0, delayMs));
  }

  private async renewOnce(): Promise<void> {
    if (this.isDone) return;
    const sentAt = this.now();
    const left = this.validUntilMs() - sentAt;
    try {
      await this.opts.renew(Math.max(200, Math.min(left, this.opts.ttlMs / 3)));
    } catch (err) {
      if (this.isDone) return;
      const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message);
      if (LOST_CODES.has(e.code)) {
        this.lose(`lease lost: ${e.message}`);
        return;
      }
      this.opts.onRetry?.(e.message);
      this.scheduleRenewal(RETRY_MS);
      return;
    }
    if (this.isDone) return;
    if (sentAt > this.validFromMs) this.validFromMs = sentAt;
    this.armDeadline();
    this.opts.onRenewed?.(this.validUntilMs());
    this.scheduleRenewal(this.validFromMs + this.opts.ttlMs / 3 - this.now());
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * After a grant that waited in line (a hand-over, an election won): the core restarted the TTL when it handed the
 * resource over, at a moment this process cannot know. One renewal re-anchors it on a send time it does know;
 * returns that time. Throws "lease lost" if the core says the lease is gone, or if no renewal is confirmed within
 * a TTL.
 */
export async function confirmHandOver(renew: (timeoutMs: number) => Promise<unknown>, ttlMs: number, now: () => number = () => performance.now()): Promise<number> {
  const giveUpAt = now() + ttlMs - driftMarginFor(ttlMs);
  const asCcm = (err: unknown): CcmError => (err instanceof CcmError ? err : new CcmError('internal', (err as Error).message));
  try {
    return await retry(
      async () => {
        const sentAt = now();
        await renew(Math.max(200, Math.min(giveUpAt - sentAt, ttlMs / 3)));
        return sentAt;
      },
      { policy: fixedBackoff(RETRY_MS), deadlineMs: giveUpAt, now, shouldRetry: (err) => !LOST_CODES.has(asCcm(err).code) },
    );
  } catch (err) {
    const e = asCcm(err);
    if (LOST_CODES.has(e.code)) throw new CcmError(e.code, `lease lost: ${e.message}`);
    throw new CcmError('timeout', `lease lost: the grant could not be confirmed by a renewal within its TTL (${e.message})`);
  }
}
