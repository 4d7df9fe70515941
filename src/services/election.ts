import { CcmError } from '../errors/ccm-error.js';
import type { ElectionLeadership, ElectionView, LockView } from '../api/api-types.js';
import type { CallOptions, CorePort } from './core-port.js';
import type { LeaseManager } from './lease-manager.js';
import { MAX_WAIT_MS } from './lease-manager.js';

/**
 * The leader-election recipe, on the lease manager: an election `<name>` is the resource `election:<name>`. A
 * campaign is an acquire that waits in the resource's fair queue; its holder is the leader, and the fencing token
 * of its grant is the leader's token (strictly larger for every later leader). The leader keeps its lease alive;
 * when it resigns (release) or stops renewing (its TTL runs out), the core hands the resource to the next candidate
 * in line in the same command, so there is never more than one leader and never a gap with a candidate waiting.
 */
export const ELECTION_RESOURCE_PREFIX = 'election:';

const ELECTION_NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function validateElectionName(name: unknown): string {
  if (typeof name !== 'string' || !ELECTION_NAME_RULE.test(name)) {
    throw new CcmError('invalid_argument', `election name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ - (starting with a letter or digit)`);
  }
  return name;
}

export function electionResource(name: string): string {
  return ELECTION_RESOURCE_PREFIX + name;
}

/** A candidate id: shown as the leader's name (the lease manager's holder). */
export function validateCandidateId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(id)) {
    throw new CcmError('invalid_argument', `candidate id ${JSON.stringify(id)} is invalid: use 1-128 letters, digits and . _ : @ -`);
  }
  return id;
}

export class Election {
  constructor(
    private readonly leases: LeaseManager,
    private readonly core: CorePort,
  ) {}

  /** Waits in line until this candidate leads (or `waitTimeoutMs` passes: `held`, and the candidate leaves the line). */
  async campaign(req: { name: unknown; id: unknown; ttlMs: unknown; waitTimeoutMs?: unknown }, opts: CallOptions, isCancelled: () => boolean): Promise<ElectionLeadership> {
    const name = validateElectionName(req.name);
    const id = validateCandidateId(req.id);
    const waitTimeoutMs = req.waitTimeoutMs === undefined ? MAX_WAIT_MS : req.waitTimeoutMs;
    const r = await this.leases.acquire({ resource: electionResource(name), holder: id, ttlMs: req.ttlMs, wait: true, waitTimeoutMs }, opts, isCancelled);
    if (!r.granted) throw new CcmError('internal', 'a waiting acquire answered without a grant');
    return { election: name, id, lease: r.lease, token: r.token, ttlMs: r.ttlMs, revision: r.revision, waitedMs: r.waitedMs, secret: r.secret };
  }

  /** Keeps leading: fails (failed_precondition / not_found) once this lease no longer leads. */
  async renew(nameRaw: unknown, lease: unknown, secret: unknown, opts: CallOptions): Promise<{ election: string; lease: number; ttlMs: number; renewals: number }> {
    const name = validateElectionName(nameRaw);
    const r = await this.leases.renew(electionResource(name), lease, secret, opts);
    return { election: name, lease: r.lease, ttlMs: r.ttlMs, renewals: r.renewals };
  }

  /** Steps down (or leaves the line): the next candidate, if any, leads at once. */
  async resign(nameRaw: unknown, lease: unknown, secret: unknown, opts: CallOptions): Promise<{ election: string; lease: number; revision: number; nextLeader?: string }> {
    const name = validateElectionName(nameRaw);
    const r = await this.leases.release(electionResource(name), lease, secret, opts);
    return { election: name, lease: r.lease, revision: r.revision, ...(r.nextHolder ? { nextLeader: r.nextHolder } : {}) };
  }

  /** The leader now (null when nobody leads), and the candidates in line. */
  async leader(nameRaw: unknown, opts: CallOptions): Promise<ElectionView> {
    const name = validateElectionName(nameRaw);
    const r = await this.core.read({ kind: 'locks', resource: electionResource(name) }, false, opts);
    const lock = r.locks[0];
    return lock ? viewOf(name, lock, r.revision) : { election: name, leader: null, candidates: [], revision: r.revision };
  }

  async list(opts: CallOptions): Promise<{ elections: ElectionView[]; revision: number }> {
    const list = await this.leases.list(opts);
    const elections = list.locks.filter((l) => l.resource.startsWith(ELECTION_RESOURCE_PREFIX)).map((l) => viewOf(l.resource.slice(ELECTION_RESOURCE_PREFIX.length), l, list.revision));
    return { elections, revision: list.revision };
  }
}

function viewOf(name: string, lock: LockView, revision: number): ElectionView {
  return {
    election: name,
    leader: { id: lock.holder, lease: lock.lease, token: lock.token, ttlMs: lock.ttlMs, ttlLeftMs: lock.ttlLeftMs, grantedAtMs: lock.grantedAtMs, renewedAtMs: lock.renewedAtMs },
    candidates: lock.waiting.map((w) => ({ id: w.holder, lease: w.lease })),
    revision,
  };
}
