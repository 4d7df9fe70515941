import { CcmError } from '../errors/ccm-error.js';
import type { ElectionLeadership } from '../api/api-types.js';
import type { CcmClient } from './ccm-client.js';
import { confirmHandOver, LeaseKeeper } from './lease-keeper.js';
import { MAX_WAIT_MS } from '../services/lease-manager.js';

/** How long a failed call (no leader, a node down) waits before the next try. */
const RETRY_MS = 500;

export interface CandidateOptions {
  name: string;
  id: string;
  ttlMs: number;
  /** Give up campaigning after this long in line (default: never). */
  campaignTimeoutMs?: number;
}

export interface CandidateHooks {
  onLeader?(leadership: ElectionLeadership): void;
  /** A call failed for a reason that may pass (no leader, a node down): the candidate tries again. */
  onRetry?(what: 'campaign' | 'renew', reason: string): void;
}

export type CandidateOutcome =
  | { outcome: 'resigned'; leadership: ElectionLeadership; nextLeader?: string }
  | { outcome: 'stopped' }
  /** Leadership was lost (its lease ended, or could not be renewed within its TTL). */
  | { outcome: 'lost'; leadership: ElectionLeadership; reason: string };

/**
 * One candidate of an election, client side (what `ccm election campaign` runs; etcd's concurrency.Election):
 * campaign (wait in line) until leader, then renew every TTL/3 until told to stop (then resign, so the next in
 * line leads at once) or until leadership is lost. Lost means the core says this lease no longer leads, or no
 * renewal has been confirmed within a TTL (less a drift margin) of the send time of the last one (a candidate
 * paused or cut off for that long must assume another leads by now): see LeaseKeeper. A leadership won after
 * waiting in line is confirmed by one renewal first, since the hand-over restarted the TTL at a moment unknown here.
 */
export class Candidate {
  private stopRequested = false;
  private wake: (() => void) | null = null;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(
    private readonly client: CcmClient,
    private readonly opts: CandidateOptions,
    private readonly hooks: CandidateHooks = {},
  ) {
    this.stopped = new Promise((r) => (this.markStopped = r));
  }

  /** Ask the candidate to stop: it resigns if it leads, or leaves the line. */
  stop(): void {
    this.stopRequested = true;
    this.markStopped();
    this.wake?.();
  }

  async run(): Promise<CandidateOutcome> {
    const won = await this.campaign();
    if (!won) return { outcome: 'stopped' };
    const { leadership, sentAt } = won;
    const renew = (timeoutMs: number) => this.client.renewLeadership(this.opts.name, leadership.lease, leadership.secret, { timeoutMs });
    let validFromMs: number;
    if (leadership.waitedMs === 0) {
      validFromMs = sentAt;
    } else {
      try {
        validFromMs = await confirmHandOver(renew, leadership.ttlMs);
      } catch (err) {
        return { outcome: 'lost', leadership, reason: (err as Error).message };
      }
    }
    this.hooks.onLeader?.(leadership);
    return this.lead(leadership, validFromMs);
  }

  /** Waits in line; null if stopped first. A wait that runs out (10 min per request) joins the line again. */
  private async campaign(): Promise<{ leadership: ElectionLeadership; sentAt: number } | null> {
    const giveUpAt = this.opts.campaignTimeoutMs === undefined ? Infinity : Date.now() + this.opts.campaignTimeoutMs;
    while (!this.stopRequested) {
      const waitTimeoutMs = Math.max(1, Math.min(MAX_WAIT_MS, giveUpAt - Date.now()));
      const sentAt = performance.now();
      const attempt = this.client.campaign(this.opts.name, { id: this.opts.id, ttlMs: this.opts.ttlMs, waitTimeoutMs });
      // The request is left to the caller's exit when stopped: closing it makes the node take us out of the line.
      const outcome = await Promise.race([attempt.then((l) => ({ l }), (err: unknown) => ({ err })), this.stopped.then(() => null)]);
      if (outcome === null) return null;
      if ('l' in outcome) return { leadership: outcome.l, sentAt };
      const err = outcome.err instanceof CcmError ? outcome.err : new CcmError('internal', (outcome.err as Error).message);
      if (err.code === 'invalid_argument') throw err;
      if (Date.now() >= giveUpAt) throw new CcmError('timeout', `not elected leader of ${this.opts.name} within ${Math.round(this.opts.campaignTimeoutMs! / 1000)} s (${err.message})`);
      if (err.code !== 'held') {
        this.hooks.onRetry?.('campaign', err.message);
        await this.sleep(RETRY_MS);
      }
    }
    return null;
  }

  /** Leads, renewing, until stopped (then resigns) or until the lease may be lost (see LeaseKeeper). */
  private async lead(leadership: ElectionLeadership, validFromMs: number): Promise<CandidateOutcome> {
    const { name } = this.opts;
    const keeper = new LeaseKeeper({
      ttlMs: leadership.ttlMs,
      validFromMs,
      renew: (timeoutMs) => this.client.renewLeadership(name, leadership.lease, leadership.secret, { timeoutMs }),
      onRetry: (reason) => this.hooks.onRetry?.('renew', reason),
    });
    const lost = await Promise.race([keeper.lost, this.stopped.then(() => null)]);
    keeper.stop();
    if (lost !== null) return { outcome: 'lost', leadership, reason: `${lost}; another candidate may lead now` };
    try {
      const r = await this.client.resign(name, leadership.lease, leadership.secret);
      return { outcome: 'resigned', leadership, ...(r.nextLeader ? { nextLeader: r.nextLeader } : {}) };
    } catch (err) {
      const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message);
      if (e.code === 'not_found' || e.code === 'failed_precondition') return { outcome: 'lost', leadership, reason: `it had already lost leadership: ${e.message}` };
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
