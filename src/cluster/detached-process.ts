import fs from 'node:fs';
import { execa } from 'execa';
import { CcmError } from '../errors/ccm-error.js';

/**
 * Starts `node <script> <args>` detached (it outlives this process), with stdout and stderr appended to `logPath`,
 * and returns its pid. A raw fd, so the child writes its log itself: with a { file } target execa would pipe the
 * output through this process, and the child would lose its log (and get EPIPE) when we exit. execa's types omit
 * integer fds for stdout/stderr, though it passes them straight to the child.
 * CCM_NODE_FLAGS passes flags to node itself (e.g. --cpu-prof), which NODE_OPTIONS may not carry.
 */
export function spawnDetached(script: string, args: string[], logPath: string, what: string): number {
  const nodeFlags = (process.env.CCM_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return spawnDetachedExecutable(process.execPath, [...nodeFlags, script, ...args], logPath, what);
}

/** Starts any program detached, as spawnDetached starts a node script (a local etcd member: /usr/bin/etcd). */
export function spawnDetachedExecutable(executable: string, args: string[], logPath: string, what: string): number {
  const logFd = fs.openSync(logPath, 'a') as 1;
  try {
    const child = execa(executable, args, {
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore',
      stdout: logFd,
      stderr: logFd,
    });
    child.unref();
    if (child.pid === undefined) throw new CcmError('internal', `could not start a process for ${what}`);
    return child.pid;
  } finally {
    fs.closeSync(logFd);
  }
}
