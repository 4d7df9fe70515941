import { CcmError } from '../errors/ccm-error.js';
import type { AcquireResponse, LeaseView, LockView } from '../api/api-types.js';
import { validateHolder, validateLeaseId, validateResource, validateTtlMs } from '../core/commands.js';
import { readLockValue } from '../core/kv-schemas.js';
import { LOCK_PREFIX } from '../core/kv-types.js';
import type { Command } from '../core/commands.js';
import { callWithin, type CallOptions, type ServiceContext, type WriteResult } from './core-port.js';
import { newLeaseSecret, secretHashOf } from './lease-secret.js';

/** The longest anyone may wait in a queue for a resource. */
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * The lease manager: time-limited exclusive access to named resources, with fencing tokens. Grants, queueing
 * and hand-over are single commands in the core (one round trip to acquire); this layer adds waiting: a
 * waiter's queue entry is kept alive while it waits, and it is woken by a watch on the resource, not by polling.
 */
export class LeaseManager {
  constructor(private readonly ctx: ServiceContext) {}

  async acquire(
    req: { resource: unknown; holder: unknown; ttlMs: unknown; wait?: unknown; waitTimeoutMs?: unknown },
    opts: CallOptions,
    isCancelled: () => boolean = () => false,
  ): Promise<AcquireResponse> {
    const resource = validateResource(req.resource);
    const holder = validateHolder(req.holder);
    const ttlMs = validateTtlMs(req.ttlMs);
    const wait = req.wait === true;
    const waitTimeoutMs = req.waitTimeoutMs === undefined ? 30_000 : Number(req.waitTimeoutMs);
    if (wait && (!Number.isFinite(waitTimeoutMs) || waitTimeoutMs <= 0 || waitTimeoutMs > MAX_WAIT_MS)) {
      throw new CcmError('invalid_argument', `wait timeout must be from 1ms to ${MAX_WAIT_MS / 60_000} minutes`);
    }
    const started = this.ctx.scheduler.now();
    const { secret, secretHash } = newLeaseSecret();
    const r = await this.write({ op: 'acquire', resource, holder, ttlMs, wait, atMs: this.ctx.clock.nowMs(), secretHash }, opts);
    if (r.granted) return { granted: true, resource, holder, lease: r.lease, token: r.token, ttlMs, revision: r.revision, waitedMs: 0, secret };
    if (!r.queued) return { granted: false, resource, heldBy: await this.holderWithTtl(resource, r.heldBy, opts) };
    return this.waitForHandOver(resource, holder, { id: r.lease, secret, secretHash }, ttlMs, started, started + waitTimeoutMs, isCancelled);
  }

  /** Keeps the queued lease alive and watches the resource until the core hands it to us (or we give up). */
  private waitForHandOver(
    resource: string,
    holder: string,
    grant: { id: number; secret: string; secretHash: string },
    ttlMs: number,
    started: number,
    deadline: number,
    isCancelled: () => boolean,
  ): Promise<AcquireResponse> {
    const lease = grant.id;
    return new Promise<AcquireResponse>((resolve, reject) => {
      let isDone = false;
      // Filled in as each is set up: the watch may fail at once, before the timers exist.
      let stop: () => void = () => undefined;
      let stopKeepAlive: () => void = () => undefined;
      let cancelGiveUp: () => void = () => undefined;
      let stopCancelCheck: () => void = () => undefined;
      const finish = (outcome: { ok: AcquireResponse } | { err: CcmError }, leave: boolean): void => {
        if (isDone) return;
        isDone = true;
        stop();
        stopKeepAlive();
        cancelGiveUp();
        stopCancelCheck();
        // Leaving the queue: revoke our lease (its queue entry goes with it), best effort.
        if (leave) void this.write({ op: 'lease-revoke', id: lease, secretHash: grant.secretHash }, this.shortCall()).catch(() => undefined);
        if ('ok' in outcome) resolve(outcome.ok);
        else reject(outcome.err);
      };
      const granted = (token: number, revision: number): void =>
        finish({ ok: { granted: true, resource, holder, lease, token, ttlMs, revision, waitedMs: this.ctx.scheduler.now() - started, secret: grant.secret } }, false);
      stop = this.ctx.core.subscribe({ key: LOCK_PREFIX + resource, prefix: false, fromRevision: 0 }, {
        onBatch: (b) => {
          for (const e of b.events) {
            if (e.type !== 'put') continue;
            if (readLockValue(e.kv.value)?.lease === lease) granted(e.kv.createRevision, b.revision);
          }
        },
        onError: (e) => finish({ err: e }, true),
      });
      if (isDone) {
        stop();
        return;
      }
      // The hand-over may have happened before the watch started: look once, linearizably.
      void this.inspectRaw(resource, this.shortCall())
        .then((lock) => {
          if (lock && lock.lease === lease) granted(lock.token, lock.token);
        })
        .catch(() => undefined);
      stopKeepAlive = this.ctx.scheduler.every(Math.max(200, ttlMs / 3), () => {
        this.write({ op: 'lease-renew', id: lease, atMs: this.ctx.clock.nowMs(), secretHash: grant.secretHash }, this.shortCall()).catch((err: CcmError) => {
          if (err.code === 'not_found') finish({ err: new CcmError('not_found', `our place in the queue for ${resource} was lost (lease ${lease} ended)`) }, false);
        });
      });
      cancelGiveUp = this.ctx.scheduler.after(Math.max(0, deadline - this.ctx.scheduler.now()), async () => {
        const lock = await this.inspectRaw(resource, this.shortCall()).catch(() => null);
        const heldBy = lock ? { holder: lock.holder, lease: lock.lease, token: lock.token, ttlLeftMs: lock.ttlLeftMs } : null;
        finish({ err: new CcmError('held', `${resource} is still held${heldBy ? ` by ${heldBy.holder} (token ${heldBy.token})` : ''} after waiting ${Math.round((deadline - started) / 1000)} s; left the queue`, { heldBy }) }, true);
      });
      stopCancelCheck = this.ctx.scheduler.every(200, () => {
        if (isCancelled()) finish({ err: new CcmError('unavailable', 'the waiting client went away') }, true);
      });
    });
  }

  async renew(resource: string | undefined, leaseId: unknown, secret: unknown, opts: CallOptions): Promise<{ lease: number; ttlMs: number; renewals: number; resource?: string }> {
    const id = validateLeaseId(leaseId);
    if (resource !== undefined) validateResource(resource);
    const secretHash = secretHashOf(secret);
    const r = await this.write({ op: 'lease-renew', id, atMs: this.ctx.clock.nowMs(), secretHash, ...(resource !== undefined ? { resource } : {}) }, opts);
    return { lease: id, ttlMs: r.ttlMs, renewals: r.renewals, ...(resource !== undefined ? { resource } : {}) };
  }

  async release(resource: string, leaseId: unknown, secret: unknown, opts: CallOptions): Promise<{ resource: string; lease: number; revision: number; nextHolder?: string }> {
    validateResource(resource);
    const id = validateLeaseId(leaseId);
    const secretHash = secretHashOf(secret);
    const r = await this.write({ op: 'release', resource, lease: id, secretHash }, opts);
    return { resource, lease: id, revision: r.revision, ...(r.nextHolder ? { nextHolder: r.nextHolder } : {}) };
  }

  async list(opts: CallOptions): Promise<{ locks: LockView[]; revision: number }> {
    const r = await this.ctx.core.read({ kind: 'locks' }, false, opts);
    return { locks: r.locks, revision: r.revision };
  }

  async inspect(resource: string, opts: CallOptions): Promise<LockView> {
    validateResource(resource);
    const lock = await this.inspectRaw(resource, opts);
    if (!lock) throw new CcmError('not_found', `${resource} is free (nobody holds it)`);
    return lock;
  }

  /** A generic lease (keys attach to it); its secret is in the answer, once. */
  async grant(ttlMs: unknown, owner: unknown, opts: CallOptions): Promise<{ id: number; ttlMs: number; secret: string }> {
    const ttl = validateTtlMs(ttlMs);
    const ownerText = owner === undefined ? '' : validateHolder(owner);
    const { secret, secretHash } = newLeaseSecret();
    const r = await this.write({ op: 'lease-grant', ttlMs: ttl, owner: ownerText, atMs: this.ctx.clock.nowMs(), secretHash }, opts);
    return { id: r.id, ttlMs: r.ttlMs, secret };
  }

  /** Ends a lease: with its secret, or (`secret` null) as the cluster's administrator (the /admin route, admin token). */
  async revoke(leaseId: unknown, secret: unknown, opts: CallOptions): Promise<{ id: number; deletedKeys: number; revision: number }> {
    const id = validateLeaseId(leaseId);
    const r = await this.write(secret === null ? { op: 'lease-revoke', id, bySystem: true } : { op: 'lease-revoke', id, secretHash: secretHashOf(secret) }, opts);
    return { id, deletedKeys: r.deletedKeys, revision: r.revision };
  }

  async leases(opts: CallOptions): Promise<LeaseView[]> {
    const r = await this.ctx.core.read({ kind: 'leases' }, false, opts);
    return r.leases;
  }

  async lease(leaseId: unknown, opts: CallOptions): Promise<LeaseView> {
    const r = await this.ctx.core.read({ kind: 'lease', id: validateLeaseId(leaseId) }, false, opts);
    return r.lease;
  }

  private async inspectRaw(resource: string, opts: CallOptions): Promise<LockView | null> {
    const r = await this.ctx.core.read({ kind: 'locks', resource }, false, opts);
    return r.locks[0] ?? null;
  }

  private async holderWithTtl(resource: string, heldBy: { holder: string; lease: number; token: number }, opts: CallOptions): Promise<Extract<AcquireResponse, { granted: false }>['heldBy']> {
    const lock = await this.inspectRaw(resource, opts).catch(() => null);
    return { ...heldBy, ttlLeftMs: lock && lock.lease === heldBy.lease ? lock.ttlLeftMs : null };
  }

  private write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    return this.ctx.core.write(command, opts);
  }

  private shortCall(): CallOptions {
    return callWithin(this.ctx.scheduler, 3000);
  }
}
