import { spawn, type ChildProcess } from 'node:child_process';
import { CcmError } from '../errors/ccm-error.js';
import type { CcmClient } from './ccm-client.js';
import { confirmHandOver, LeaseKeeper } from './lease-keeper.js';

/**
 * `ccm lease run <resource> -- <command…>` (as `etcdctl lock` and `consul lock`): take the resource (waiting in
 * line), run the command with CCM_LEASE_ID, CCM_FENCING_TOKEN and CCM_LEASE_RESOURCE in its environment, keep the
 * lease alive while it runs, and release it when it exits. The moment the lease may be lost (see LeaseKeeper) the
 * child is sent SIGTERM, then SIGKILL after a grace period: it must not go on believing it holds the resource.
 */
export interface LeaseRunOptions {
  resource: string;
  holder: string;
  ttlMs: number;
  /** How long to wait in line for the resource. */
  waitTimeoutMs: number;
  /** Between SIGTERM and SIGKILL when the lease is lost. */
  graceMs: number;
  command: string[];
  /** stdio of the child (default: inherited). */
  stdio?: 'inherit' | 'ignore';
}

export interface LeaseRunResult {
  resource: string;
  lease: number;
  token: number;
  /** The child's exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why the lease may have been lost (the child was stopped), or null. */
  leaseLost: string | null;
  released: boolean;
}

export interface LeaseRunHooks {
  onGranted?(grant: { lease: number; token: number; waitedMs: number }): void;
  onLost?(reason: string): void;
  onRetry?(reason: string): void;
}

/** What the process should exit with: the child's code (128+N for a signal), or 1 when the lease was lost. */
export function exitCodeOf(r: LeaseRunResult): number {
  if (r.leaseLost !== null) return 1;
  if (r.exitCode !== null) return r.exitCode;
  return 128 + signalNumber(r.signal);
}

export async function runWithLease(client: CcmClient, opts: LeaseRunOptions, hooks: LeaseRunHooks = {}, stop?: AbortSignal): Promise<LeaseRunResult> {
  if (opts.command.length === 0) throw new CcmError('invalid_argument', 'lease run needs a command after --, e.g. ccm lease run db-migration -- ./migrate.sh');
  const sentAt = performance.now();
  const grant = await client.acquire(opts.resource, { holder: opts.holder, ttlMs: opts.ttlMs, wait: true, waitTimeoutMs: opts.waitTimeoutMs });
  const renew = (timeoutMs: number) => client.renewLock(opts.resource, grant.lease, grant.secret, { timeoutMs });
  const release = async (): Promise<boolean> => {
    try {
      await client.release(opts.resource, grant.lease, grant.secret, { timeoutMs: 3000 });
      return true;
    } catch {
      return false;
    }
  };
  let validFromMs = sentAt;
  if (grant.waitedMs > 0) {
    try {
      validFromMs = await confirmHandOver(renew, opts.ttlMs);
    } catch (err) {
      hooks.onLost?.((err as Error).message);
      return { resource: opts.resource, lease: grant.lease, token: grant.token, exitCode: null, signal: null, leaseLost: (err as Error).message, released: await release() };
    }
  }
  const keeper = new LeaseKeeper({ ttlMs: opts.ttlMs, validFromMs, renew, onRetry: hooks.onRetry });
  hooks.onGranted?.({ lease: grant.lease, token: grant.token, waitedMs: grant.waitedMs });
  let child: ChildProcess;
  try {
    child = spawn(opts.command[0], opts.command.slice(1), {
      stdio: opts.stdio ?? 'inherit',
      env: { ...process.env, CCM_LEASE_ID: String(grant.lease), CCM_FENCING_TOKEN: String(grant.token), CCM_LEASE_RESOURCE: opts.resource },
    });
  } catch (err) {
    keeper.stop();
    await release();
    throw new CcmError('invalid_argument', `cannot run ${opts.command[0]}: ${(err as Error).message}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  let leaseLost: string | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  void keeper.lost.then((reason) => {
    leaseLost = reason;
    hooks.onLost?.(reason);
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs);
  });
  // Ctrl-C or SIGTERM to us: passed on to the child, whose exit then ends the run as usual.
  const forward = (): void => void child.kill('SIGTERM');
  stop?.addEventListener('abort', forward, { once: true });
  const end = await exited;
  stop?.removeEventListener('abort', forward);
  keeper.stop();
  if (killTimer) clearTimeout(killTimer);
  if (end.error) {
    await release();
    throw new CcmError('invalid_argument', `cannot run ${opts.command[0]}: ${end.error.message}`);
  }
  // A lost lease is not released: it is gone, or another holder has the resource now.
  const released = leaseLost === null ? await release() : false;
  return { resource: opts.resource, lease: grant.lease, token: grant.token, exitCode: end.code, signal: end.signal, leaseLost, released };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 1;
}
