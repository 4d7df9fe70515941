/**
 * etcd's Lease service on ccm's leases: a grant, a keep-alive and a revoke are each one command through Raft; a
 * lease's TTL runs on every voter from when it applied the grant or the last renewal, and the leader expires it
 * (DESIGN.md, "Lease expiry without clock agreement"). TTLs are whole seconds, as in etcd.
 */
import { randomInt } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { MAX_LEASE_TTL_MS, MIN_LEASE_TTL_MS } from '../core/kv-types.js';
import type { ApplyResult } from '../core/state-machine.js';
import type { EtcdContext, ResponseHeader } from './etcd-context.js';
import { ccmErrorCode, ETCD_ERRORS, invalidArgument, toEtcdError } from './etcd-errors.js';
import { checkShape, intField, LeaseGrantRequest, LeaseIdRequest, LeaseTimeToLiveRequest, safeInt } from './etcd-requests.js';
import { leaseIdOf } from './kv-service.js';

/**
 * Lease ids ccm picks for etcd clients: random, from 2^32 (so they look like etcd's, 9 hex digits or more) to 2^48
 * (crypto.randomInt's range; well within JavaScript's safe integers, which ccm's lease ids are). A collision with a
 * lease that exists is retried.
 */
const AUTO_ID_MIN = 2 ** 32;
const AUTO_ID_MAX = 2 ** 48;
const GRANT_ATTEMPTS = 3;

const seconds = (ms: number): number => Math.ceil(ms / 1000);

function unexpected(r: ApplyResult): Error {
  return new Error(`unexpected result ${r.op} from the core`);
}

export async function leaseGrant(ctx: EtcdContext, r: Static<typeof LeaseGrantRequest>, deadlineMs: number): Promise<{ header: ResponseHeader; ID: string; TTL: number; error: string }> {
  const ttl = intField(r.TTL, 'TTL');
  if (ttl * 1000 > MAX_LEASE_TTL_MS) throw ETCD_ERRORS.leaseTtlTooLarge;
  // etcd raises a TTL under its minimum to the minimum (here 1 s: the election timeout is well under it).
  const ttlMs = Math.max(MIN_LEASE_TTL_MS, ttl * 1000);
  const chosen = r.ID === '0' ? null : safeInt(r.ID);
  if (chosen !== null && chosen < 0) throw invalidArgument(`lease id ${r.ID} is negative`);
  if (r.ID !== '0' && chosen === null) throw invalidArgument(`lease id ${r.ID} is above 2^53: ccm's lease ids are JavaScript numbers`);
  for (let attempt = 1; ; attempt++) {
    const id = chosen ?? randomInt(AUTO_ID_MIN, AUTO_ID_MAX);
    try {
      const result = await ctx.backend.write({ op: 'lease-grant', ttlMs, owner: 'etcd client', atMs: Date.now(), id }, deadlineMs);
      if (result.op !== 'lease-grant') throw unexpected(result);
      return { header: ctx.header(result.revision), ID: String(result.id), TTL: seconds(result.ttlMs), error: '' };
    } catch (err) {
      const isTaken = ccmErrorCode(err) === 'already_exists';
      if (!isTaken || chosen !== null || attempt >= GRANT_ATTEMPTS) throw err;
    }
  }
}

export async function leaseRevoke(ctx: EtcdContext, r: Static<typeof LeaseIdRequest>, deadlineMs: number): Promise<{ header: ResponseHeader }> {
  const id = leaseIdOf(r.ID);
  if (id === 0) throw ETCD_ERRORS.leaseNotFound;
  const result = await ctx.backend.write({ op: 'lease-revoke', id }, deadlineMs);
  if (result.op !== 'lease-revoke') throw unexpected(result);
  return { header: ctx.header(result.revision) };
}

/** One keep-alive: a renewal through Raft; a lease that is gone answers TTL 0 (as etcd). */
export async function leaseKeepAliveOnce(ctx: EtcdContext, rawId: string, deadlineMs: number): Promise<{ header: ResponseHeader; ID: string; TTL: number }> {
  let id: number;
  try {
    id = leaseIdOf(rawId);
  } catch {
    return { header: ctx.header(), ID: rawId, TTL: 0 };
  }
  try {
    const result = await ctx.backend.write({ op: 'lease-renew', id, atMs: Date.now() }, deadlineMs);
    if (result.op !== 'lease-renew') throw unexpected(result);
    return { header: ctx.header(), ID: rawId, TTL: seconds(result.ttlMs) };
  } catch (err) {
    if (ccmErrorCode(err) === 'not_found') return { header: ctx.header(), ID: rawId, TTL: 0 };
    throw err;
  }
}

export async function leaseTimeToLive(
  ctx: EtcdContext,
  r: Static<typeof LeaseTimeToLiveRequest>,
  deadlineMs: number,
): Promise<{ header: ResponseHeader; ID: string; TTL: number; grantedTTL: number; keys: Buffer[] }> {
  const notFound = { header: ctx.header(), ID: r.ID, TTL: -1, grantedTTL: 0, keys: [] };
  let id = 0;
  try {
    id = leaseIdOf(r.ID);
  } catch {
    // an id no lease can have
  }
  if (id === 0) return notFound;
  try {
    const { lease, ttlLeftMs, keys } = await ctx.backend.lease(id, deadlineMs);
    // etcd truncates the remaining seconds; a lease the leader has no timer for yet has its whole TTL left.
    const left = ttlLeftMs === null ? lease.ttlMs : ttlLeftMs;
    return { header: ctx.header(), ID: r.ID, TTL: Math.floor(left / 1000), grantedTTL: seconds(lease.ttlMs), keys: r.keys ? keys.map((k) => Buffer.from(k)) : [] };
  } catch (err) {
    // etcd answers a lease it does not have with TTL -1, not an error.
    if (ccmErrorCode(err) === 'not_found') return notFound;
    throw err;
  }
}

export async function leaseLeases(ctx: EtcdContext, deadlineMs: number): Promise<{ header: ResponseHeader; leases: { ID: string }[] }> {
  const leases = await ctx.backend.leases(deadlineMs);
  return { header: ctx.header(), leases: leases.map((l) => ({ ID: String(l.id) })) };
}

/** The writable side of a keep-alive stream. */
export interface KeepAliveCall {
  write(message: unknown): void;
  emit(event: 'error', err: { code: number; details: string }): void;
}

/**
 * A keep-alive stream: each request renews one lease and is answered in order. Requests queue behind the one in
 * flight, up to a bound (a client that floods the stream is cut off, counted).
 */
export class KeepAliveStream {
  private queue: unknown[] = [];
  private isBusy = false;
  private isClosed = false;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly call: KeepAliveCall,
    private readonly deadlineMs: () => number,
    private readonly maxQueued = 1000,
  ) {}

  receive(raw: unknown): void {
    if (this.isClosed) return;
    if (this.queue.length >= this.maxQueued) {
      this.ctx.refuse('keep-alive flood');
      this.fail(ETCD_ERRORS.tooManyRequests);
      return;
    }
    this.queue.push(raw);
    if (!this.isBusy) void this.drain();
  }

  close(): void {
    this.isClosed = true;
    this.queue = [];
  }

  private async drain(): Promise<void> {
    this.isBusy = true;
    while (!this.isClosed && this.queue.length > 0) {
      const raw = this.queue.shift();
      try {
        const req = checkShape(LeaseIdRequest, raw, 'LeaseKeepAliveRequest', this.ctx.refuse);
        const response = await leaseKeepAliveOnce(this.ctx, req.ID, this.deadlineMs());
        if (!this.isClosed) this.call.write(response);
      } catch (err) {
        this.fail(toEtcdError(err));
      }
    }
    this.isBusy = false;
  }

  private fail(err: { code: number; message: string }): void {
    if (this.isClosed) return;
    this.close();
    this.call.emit('error', { code: err.code, details: err.message });
  }
}
