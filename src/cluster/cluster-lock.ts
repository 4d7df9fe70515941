import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import type { ClusterPaths } from './cluster-dir.js';
import { isPidAlive, processStartTicks } from './process-table.js';

/**
 * The cluster's lock file (cluster.lock), held by the CLI and the supervisor around every read-modify-write of
 * cluster.json, across processes:
 * - it is created with its owner already in it: the owner record is written to a private file, which is then
 *   hard-linked to cluster.lock (link() fails if the lock exists, so creating and naming the owner are one step;
 *   no one ever sees an empty or half-written lock);
 * - a lock whose owner is dead (its pid gone, or reused by a process started later) is taken over by exactly one
 *   process: the one that creates `cluster.lock.takeover.<owner token>` (O_EXCL). Only it may remove that lock, so
 *   between its check (the lock still names that dead owner) and its unlink, nothing else can remove or replace it;
 * - release removes the lock only if it still names this holder.
 */

/** How long to wait for the lock before answering `timeout`. */
const LOCK_WAIT_MS = 10_000;
const RETRY_MS = 20;
/** A lock that cannot be read (left by an older ccm, or damaged) counts as stale once it is this old. */
const UNREADABLE_STALE_MS = 10_000;

/** Who holds the lock: the pid, when that process started (to tell a reused pid), and a token unique to this hold. */
interface LockOwner {
  pid: number;
  startTicks: number | null;
  token: string;
}

/**
 * Runs `fn` holding the cluster's lock file, so the CLI and the supervisor never lose each other's updates.
 * TEST-ONLY SWITCH: with CCM_UNSAFE_NO_CLUSTER_LOCK=1 it runs `fn` without the lock, so a test of racing processes
 * can show that it would lose updates without it. Never set in normal use.
 */
export async function withClusterLock<T>(paths: ClusterPaths, fn: () => Promise<T> | T, opts: { waitMs?: number } = {}): Promise<T> {
  if (process.env.CCM_UNSAFE_NO_CLUSTER_LOCK === '1') return fn();
  fs.mkdirSync(paths.dir, { recursive: true });
  const owner: LockOwner = { pid: process.pid, startTicks: processStartTicks(process.pid), token: `${process.pid}-${randomBytes(8).toString('hex')}` };
  await acquire(paths, owner, opts.waitMs ?? LOCK_WAIT_MS);
  try {
    return await fn();
  } finally {
    release(paths, owner);
  }
}

async function acquire(paths: ClusterPaths, owner: LockOwner, waitMs: number): Promise<void> {
  const mine = path.join(paths.dir, `.cluster.lock.${owner.token}`);
  fs.writeFileSync(mine, JSON.stringify(owner));
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        fs.linkSync(mine, paths.lockFile);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new CcmError('invalid_argument', `cannot lock ${paths.lockFile}: ${(err as Error).message}`);
        }
      }
      const holder = readHolder(paths.lockFile);
      if (holder !== null && holder.isStale) takeOver(paths, holder.key);
      else if (Date.now() > deadline) {
        throw new CcmError('timeout', `cluster "${paths.name}" is locked by process ${holder?.pid ?? '?'} (${paths.lockFile})`);
      } else await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** Removes the lock held by the dead owner `key`, if this process wins the right to (see the header). */
function takeOver(paths: ClusterPaths, key: string): void {
  const marker = `${paths.lockFile}.takeover.${key}`;
  let fd: number;
  try {
    fd = fs.openSync(marker, 'wx');
  } catch {
    return; // another process is taking it over (or did): try the lock again
  }
  try {
    // Still the same dead owner's lock? (It may have been taken over and released already.)
    if (readHolder(paths.lockFile)?.key === key) fs.rmSync(paths.lockFile, { force: true });
  } finally {
    fs.closeSync(fd);
    // Left in place would be harmless (tokens are never reused); removing it keeps the directory clean. A process
    // that creates it again later finds a lock that no longer names `key`, and removes nothing.
    fs.rmSync(marker, { force: true });
  }
}

function release(paths: ClusterPaths, owner: LockOwner): void {
  if (readHolder(paths.lockFile)?.key === owner.token) fs.rmSync(paths.lockFile, { force: true });
}

/** The lock's holder: a key naming this very hold, its pid, and whether it is stale. Null if there is no lock. */
function readHolder(lockFile: string): { key: string; pid: number | null; isStale: boolean } | null {
  let text: string;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(lockFile);
    text = fs.readFileSync(lockFile, 'utf8');
  } catch {
    return null;
  }
  const owner = parseOwner(text);
  if (owner === null) {
    // Unreadable: an older ccm's bare pid, or damage. Keyed by the file itself, stale when its pid is gone or it is old.
    const pid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
    const isStale = pid !== null ? !isPidAlive(pid) : Date.now() - stat.mtimeMs > UNREADABLE_STALE_MS;
    return { key: `legacy-${stat.ino}-${Math.round(stat.mtimeMs)}`, pid, isStale };
  }
  const isAlive = isPidAlive(owner.pid) && (owner.startTicks === null || processStartTicks(owner.pid) === owner.startTicks);
  return { key: owner.token, pid: owner.pid, isStale: !isAlive };
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner> | null;
    if (typeof v !== 'object' || v === null) return null;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return null;
    if (typeof v.token !== 'string' || !/^[0-9a-z-]{1,64}$/.test(v.token)) return null;
    return { pid: v.pid, token: v.token, startTicks: typeof v.startTicks === 'number' ? v.startTicks : null };
  } catch {
    return null;
  }
}
