/**
 * The supervisor process: `node dist/src/cluster/supervisor-main.js --dir <cluster dir>`. One per cluster, started by
 * `ccm up` unless --no-heal, stopped by `ccm down` (SIGTERM). It restarts node processes that should run but died,
 * and exits by itself when the cluster is gone, healing is turned off, or another supervisor has taken its place.
 */
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import { clusterPaths } from './cluster-dir.js';
import { appendClusterEvent } from './cluster-events.js';
import { clusterExists, clusterProcesses, findProcess, isEtcdMember, readClusterFile, withClusterLock, writeClusterFile, type ClusterFile } from './cluster-file.js';
import { spawnProcess, waitUntilProcessReady } from './launcher.js';
import { processState, signal } from './process-table.js';
import { Supervisor, type RestartOutcome, type SupervisorHost } from './supervisor.js';

const POLL_INTERVAL_MS = 250;
/** The launcher records our pid just after spawning us; we wait this long to see it before concluding we are not wanted. */
const ADOPTION_WAIT_MS = 10_000;
const READY_TIMEOUT_MS = 15_000;
/** A restarted etcd member is healthy once it has caught up with the leader (a snapshot, after a long absence). */
const ETCD_READY_TIMEOUT_MS = 30_000;

function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ ts: Date.now(), source: 'supervisor', message, ...fields }) + '\n');
}

const dirIndex = process.argv.indexOf('--dir');
const dirArg = dirIndex >= 0 ? process.argv[dirIndex + 1] : undefined;
if (!dirArg) {
  process.stderr.write('usage: supervisor-main.js --dir <cluster dir>\n');
  process.exit(2);
}
const dir = path.resolve(dirArg);
const paths = clusterPaths(path.dirname(dir), path.basename(dir));

function readCluster(): ClusterFile | null {
  if (!clusterExists(paths)) return null;
  try {
    return readClusterFile(paths);
  } catch (err) {
    // Mid-rename reads cannot happen (writes are atomic); a corrupt file is the operator's to fix: keep waiting.
    if (err instanceof CcmError && err.code === 'not_running') return null;
    throw err;
  }
}

async function restartNode(id: string): Promise<RestartOutcome> {
  // The check and the spawn happen under the cluster lock, so the CLI (node start/stop, down) and we never both act.
  const spawned = await withClusterLock(paths, (): { kind: 'skipped'; why: string } | { kind: 'spawned'; pid: number; file: ClusterFile } => {
    const file = readClusterFile(paths);
    const node = findProcess(file, id);
    if (!file.heal || file.supervisorPid !== process.pid) return { kind: 'skipped', why: 'healing is off' };
    if (node.desired !== 'running') return { kind: 'skipped', why: 'the operator stopped it' };
    const state = processState(node.pid, id);
    if (state !== 'stopped') return { kind: 'skipped', why: `it is ${state} again` };
    const pid = spawnProcess(paths, file, id);
    node.pid = pid;
    node.paused = false;
    node.startedAtMs = Date.now();
    node.restarts += 1;
    writeClusterFile(paths, file);
    return { kind: 'spawned', pid, file };
  });
  if (spawned.kind === 'skipped') return spawned;
  let outcome: RestartOutcome;
  try {
    const record = findProcess(spawned.file, id);
    await waitUntilProcessReady(paths, spawned.file, record, isEtcdMember(record) ? ETCD_READY_TIMEOUT_MS : READY_TIMEOUT_MS);
    outcome = { kind: 'started', pid: spawned.pid };
  } catch (err) {
    outcome = { kind: 'failed', pid: spawned.pid, why: (err as Error).message.split('\n')[0] };
  }
  // `ccm node start` spawns before it takes the lock to record its pid: if it raced us and recorded its own process,
  // ours is not in cluster.json, and nobody would ever stop it. Never leave such an orphan.
  const current = readCluster();
  const recorded = (current ? clusterProcesses(current) : []).find((n) => n.id === id)?.pid ?? null;
  if (recorded !== spawned.pid && processState(spawned.pid, id) !== 'stopped') {
    signal(spawned.pid, 'SIGKILL');
    return { kind: 'failed', pid: spawned.pid, why: `superseded by pid ${recorded} (started by someone else meanwhile); ours was stopped` };
  }
  return outcome;
}

const host: SupervisorHost = {
  selfPid: process.pid,
  nowMs: () => performance.now(),
  readCluster,
  processState,
  restartNode,
  event: (type, message, fields = {}) => {
    appendClusterEvent(paths, 'supervisor', type, message, fields);
    log(message, { type, ...fields });
  },
};

let isStopping = false;
function exit(reason: string): never {
  isStopping = true;
  appendClusterEvent(paths, 'supervisor', 'supervisor-stopped', `supervisor stopped: ${reason}`, { pid: process.pid, reason });
  log(`stopped: ${reason}`);
  process.exit(0);
}

// SIGTERM lands between event-loop turns, never inside the synchronous spawn-and-record under the lock.
process.on('SIGTERM', () => exit('SIGTERM'));
process.on('SIGINT', () => exit('SIGINT'));
process.on('uncaughtException', (err) => {
  log(`crashed: ${err.message}`, { stack: err.stack });
  appendClusterEvent(paths, 'supervisor', 'supervisor-crashed', `supervisor crashed: ${err.message}`);
  process.exit(70);
});

const adoptionDeadline = Date.now() + ADOPTION_WAIT_MS;
for (;;) {
  const file = readCluster();
  if (file === null) exit('the cluster is gone');
  if (file.supervisorPid === process.pid) break;
  if (Date.now() > adoptionDeadline) exit(`cluster.json names supervisor ${file.supervisorPid ?? 'none'}, not this process`);
  await new Promise((r) => setTimeout(r, 50));
}

const supervisor = new Supervisor(host);
const first = readCluster();
host.event('supervisor-started', `supervisor watching ${first?.nodes.length ?? 0} nodes (pid ${process.pid})`, { pid: process.pid });
let lastPollError = '';
while (!isStopping) {
  let reason: ReturnType<Supervisor['poll']> = null;
  try {
    reason = supervisor.poll();
    lastPollError = '';
  } catch (err) {
    // A damaged cluster.json is the operator's to fix (ccm status says so); keep watching, and say it once.
    const message = (err as Error).message;
    if (message !== lastPollError) host.event('supervisor-blocked', `supervisor cannot read the cluster: ${message}`);
    lastPollError = message;
  }
  if (reason !== null) {
    await supervisor.settled();
    exit({ 'cluster-removed': 'the cluster is gone', replaced: 'another supervisor took over', 'heal-off': 'healing is off' }[reason]);
  }
  await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
}
