import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HealthStatus } from '../../api/api-types.js';
import { exitCodeToHealth, httpStatusToHealth, MAX_CHECK_OUTPUT_CHARS, parseHostPort, thresholdStatus, worstStatus } from '../../api/health-check-spec.js';

/** What a check run says. */
export interface HealthCheckResult {
  status: HealthStatus;
  output: string;
}

/** A check function registered by another subsystem (e.g. the Raft driver's `raft-lag`). May be async. */
export type HealthCheckProvider = () => HealthCheckResult | Promise<HealthCheckResult>;

function clip(text: string, fromEnd = false): string {
  const t = text.trim();
  if (t.length <= MAX_CHECK_OUTPUT_CHARS) return t;
  return fromEnd ? `…${t.slice(t.length - MAX_CHECK_OUTPUT_CHARS)}` : `${t.slice(0, MAX_CHECK_OUTPUT_CHARS)}…`;
}

// ---- runners: each resolves (never rejects) within about timeoutMs --------------------------------------------

/** GET the URL: 2xx passing, 429 warning, else critical; unreachable or slow is critical. */
export function runHttpCheck(url: string, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: HealthCheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let req: http.ClientRequest;
    try {
      const mod = url.startsWith('https:') ? https : http;
      req = mod.get(url, { agent: false, headers: { 'user-agent': 'ccm-health-check' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_CHECK_OUTPUT_CHARS) body += chunk;
        });
        res.on('error', (err) => finish({ status: 'critical', output: `HTTP GET ${url}: ${err.message}` }));
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          finish({ status: httpStatusToHealth(code), output: clip(`HTTP GET ${url}: ${code} ${res.statusMessage ?? ''}${body ? `\n${body}` : ''}`) });
        });
      });
    } catch (err) {
      resolve({ status: 'critical', output: `HTTP GET ${url}: ${(err as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 'critical', output: `HTTP GET ${url}: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err) => finish({ status: 'critical', output: `HTTP GET ${url}: ${describeNetError(err)}` }));
  });
}

/** Opens a TCP connection: connected is passing, anything else critical. */
export function runTcpCheck(target: string, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const { host, port } = parseHostPort('tcp', target);
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (r: HealthCheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ status: 'critical', output: `TCP connect ${target}: no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ status: 'passing', output: `TCP connect ${target}: success` }));
    socket.once('error', (err) => finish({ status: 'critical', output: `TCP connect ${target}: ${describeNetError(err)}` }));
  });
}

/**
 * Runs `/bin/sh -c command` in its own process group (so a timeout kills what it started too): exit 0 passing, 1
 * warning, else critical. Output is the tail of stdout and stderr together. `onSpawn` learns the pid (to kill the
 * group on shutdown).
 */
export function runCommandCheck(command: string, timeoutMs: number, cwd: string, onSpawn?: (pid: number | undefined) => void): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    let output = '';
    let isTimedOut = false;
    const child = spawn('/bin/sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child.pid);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 8 * MAX_CHECK_OUTPUT_CHARS) output = output.slice(output.length - 4 * MAX_CHECK_OUTPUT_CHARS);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      isTimedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 'critical', output: `cannot run ${command}: ${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (isTimedOut) {
        resolve({ status: 'critical', output: clip(`timed out after ${timeoutMs} ms and was killed${output ? `\n${output}` : ''}`, true) });
        return;
      }
      const how = code !== null ? `exit ${code}` : `killed by ${signal}`;
      resolve({ status: exitCodeToHealth(code), output: clip(output.trim() ? `${how}\n${output}` : how, true) });
    });
  });
}

/** Kills a process group started by runCommandCheck; quiet if it is gone. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function describeNetError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host not found';
  return code ? `${err.message}` : err.message;
}

// ---- built-in checks ------------------------------------------------------------------------------------------

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** Memory RSS limits: a node is a small process; past these it is leaking or overloaded. */
export const MEMORY_RSS_LIMITS = { warning: 1 * GIB, critical: 2 * GIB };
/** Event-loop delay (p99 over one check period): a node whose loop stalls this long misses probes and heartbeats. */
export const EVENT_LOOP_LAG_LIMITS_MS = { warning: 250, critical: 2000 };
/** Free disk under the data dir, as a fraction of the file system: SQLite needs room to write its WAL. */
export const DISK_FREE_LIMITS = { warning: 0.1, critical: 0.05 };

export function memoryRssResult(rssBytes: number, heapUsedBytes: number): HealthCheckResult {
  return {
    status: thresholdStatus(rssBytes, MEMORY_RSS_LIMITS),
    output: `rss ${Math.round(rssBytes / MIB)} MiB (heap used ${Math.round(heapUsedBytes / MIB)} MiB); warning at ${MEMORY_RSS_LIMITS.warning / MIB} MiB, critical at ${MEMORY_RSS_LIMITS.critical / MIB} MiB`,
  };
}

export function eventLoopLagResult(p99Ms: number, maxMs: number, windowMs: number): HealthCheckResult {
  return {
    status: thresholdStatus(p99Ms, EVENT_LOOP_LAG_LIMITS_MS),
    output: `event-loop delay p99 ${p99Ms.toFixed(1)} ms, max ${maxMs.toFixed(1)} ms over ${(windowMs / 1000).toFixed(1)} s; warning at ${EVENT_LOOP_LAG_LIMITS_MS.warning} ms, critical at ${EVENT_LOOP_LAG_LIMITS_MS.critical} ms`,
  };
}

export function diskFreeResult(freeBytes: number, totalBytes: number, dir: string): HealthCheckResult {
  const fraction = totalBytes > 0 ? freeBytes / totalBytes : 0;
  const status: HealthStatus = fraction < DISK_FREE_LIMITS.critical ? 'critical' : fraction < DISK_FREE_LIMITS.warning ? 'warning' : 'passing';
  return {
    status,
    output: `${(freeBytes / GIB).toFixed(1)} GiB free of ${(totalBytes / GIB).toFixed(1)} GiB (${(fraction * 100).toFixed(1)}%) under ${dir}; warning below ${DISK_FREE_LIMITS.warning * 100}%, critical below ${DISK_FREE_LIMITS.critical * 100}%`,
  };
}

/** statfs of the data dir, as a check result; an error reading it is critical. */
export function checkDiskFree(dir: string): HealthCheckResult {
  try {
    const s = fs.statfsSync(dir);
    return diskFreeResult(s.bavail * s.bsize, s.blocks * s.bsize, dir);
  } catch (err) {
    return { status: 'critical', output: `cannot read free space under ${dir}: ${(err as Error).message}` };
  }
}

// ---- raft lag: the provider the Raft driver registers ----------------------------------------------------------

/** The name the Raft driver registers its check under: healthMonitorOf(node)?.registerCheckProvider(RAFT_LAG_CHECK, ...). */
export const RAFT_LAG_CHECK = 'raft-lag';

/**
 * Consul autopilot's server health, as limits: a voter more than 250 entries behind the leader's commit, or without
 * leader contact for 200 ms, is unhealthy (warning here); ten times either, or no known leader, is critical.
 */
export const RAFT_LAG_LIMITS = { entriesBehind: { warning: 250, critical: 2500 }, lastContactMs: { warning: 200, critical: 2000 } };

/**
 * What a raft-lag provider returns, from the driver's own numbers: entries between this node's applied index and the
 * leader's commit, and ms since it last heard from the leader (0 on the leader; null when it knows no leader).
 */
export function raftLagResult(lag: { entriesBehind: number; lastContactMs: number | null; leader: string | null; term: number }): HealthCheckResult {
  if (lag.leader === null || lag.lastContactMs === null) {
    return { status: 'critical', output: `no known leader in term ${lag.term}` };
  }
  const status = worstStatus(thresholdStatus(lag.entriesBehind, RAFT_LAG_LIMITS.entriesBehind), thresholdStatus(lag.lastContactMs, RAFT_LAG_LIMITS.lastContactMs));
  return {
    status,
    output: `${lag.entriesBehind} entries behind leader ${lag.leader} (term ${lag.term}), last contact ${Math.round(lag.lastContactMs)} ms ago; warning at ${RAFT_LAG_LIMITS.entriesBehind.warning} entries or ${RAFT_LAG_LIMITS.lastContactMs.warning} ms`,
  };
}
