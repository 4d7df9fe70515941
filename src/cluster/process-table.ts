import fs from 'node:fs';
import { isEtcdMemberId, runsEtcdMember } from './etcd-program.js';
import { runsNodeProgram } from './node-program.js';

/**
 * For a cluster reached by --endpoints (cluster-client.ts): its nodes run on other hosts, so whether each answered
 * stands in for what this host's process table would say. Null: nodes are local processes.
 */
let remoteStates: Map<string, ProcessState> | null = null;

export function setRemoteProcessStates(states: Map<string, ProcessState> | null): void {
  remoteStates = states;
}

/** What the operating system says about a node's recorded pid. */
export type ProcessState = 'running' | 'paused' | 'stopped';

/**
 * The state of `pid`, checking that it really is our node `nodeId` (a pid from before a reboot, or one reused by
 * another program, reads as stopped), or our local etcd member of that id (e1, …). Uses /proc where there is one,
 * plain signal 0 elsewhere.
 */
export function processState(pid: number | null, nodeId: string): ProcessState {
  if (remoteStates !== null) return remoteStates.get(nodeId) ?? 'stopped';
  if (pid === null || pid <= 0) return 'stopped';
  const procDir = `/proc/${pid}`;
  if (fs.existsSync('/proc/self/stat')) {
    let stat: string;
    let cmdline: string;
    try {
      stat = fs.readFileSync(`${procDir}/stat`, 'utf8');
      cmdline = fs.readFileSync(`${procDir}/cmdline`, 'utf8');
    } catch {
      return 'stopped';
    }
    const args = cmdline.split('\0');
    const idAt = args.indexOf('--id');
    const isOurs = isEtcdMemberId(nodeId) ? runsEtcdMember(args, nodeId) : idAt >= 0 && args[idAt + 1] === nodeId && runsNodeProgram(args);
    if (!isOurs) return 'stopped';
    // Field 3 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || state === 'x') return 'stopped';
    if (state === 'T' || state === 't') return 'paused';
    return 'running';
  }
  try {
    process.kill(pid, 0);
    return 'running';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'running' : 'stopped';
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` is no longer our running node, up to `timeoutMs`; returns whether it is gone. */
export async function waitForExit(pid: number, nodeId: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processState(pid, nodeId) === 'stopped') return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return processState(pid, nodeId) === 'stopped';
}

/** Whether any process has this pid (signal 0; EPERM means it exists but is not ours to signal). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with its pid it names one process, so
 * a pid reused by a later process is told apart. Null where there is no /proc, or no such process.
 */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : null;
  } catch {
    return null;
  }
}
