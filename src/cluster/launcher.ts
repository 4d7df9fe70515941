import fs from 'node:fs';
import { CcmError } from '../errors/ccm-error.js';
import type { NodeStatus } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import { compileFaults } from '../faults/faults.js';
import { appendClusterEvent } from './cluster-events.js';
import { clusterExists, clusterProcesses, findNode, findProcess, nodeHost, isEtcdMember, readClusterFile, updateClusterFile, withClusterLock, writeClusterFile, DEFAULT_SECURITY, DEFAULT_SETTINGS } from './cluster-file.js';
import type { ClusterFile, ClusterSecurity, ClusterSettings, EtcdBackendRecord, NodeRecord, ProcessRecord } from './cluster-file.js';
import { checkEtcdEndpoints, newLocalEtcd, spawnEtcdMember, waitUntilEtcdReady } from './etcd-members.js';
import { requireEtcdBinary } from './etcd-program.js';
import { ensureClusterSecrets, etcdConnection, loadEtcdAccess, registerClusterCredentials, secretPaths, writeEtcdAccess, type EtcdAccess } from './cluster-secrets.js';
import { checkNewClusterDir, ensureWritableDir, isClusterDir, nodeDir, nodeLogPath, removeClusterDir, type ClusterPaths } from './cluster-dir.js';
import { allocatePorts } from './port-allocator.js';
import { applySettingFlags, validateSettings } from './settings-catalog.js';
import { processState, signal, waitForExit } from './process-table.js';
import { spawnDetached } from './detached-process.js';
import { NODE_PROGRAM } from './node-program.js';
import { startSupervisor, stopSupervisor } from './supervisor.js';

export const MAX_NODES = 100;
const STOP_GRACE_MS = 3000;

export interface UpOptions {
  nodes?: number;
  core?: number;
  host?: string;
  basePort?: number;
  heal?: boolean;
  /** How long to wait for every node to answer; default grows with the node count. */
  readyTimeoutMs?: number;
  settings?: Partial<ClusterSettings>;
  /** For a new cluster: TLS, command checks, peer encryption (see ClusterSecurity). An existing cluster keeps its own. */
  security?: Partial<ClusterSecurity>;
  /** Called as nodes answer: how many of how many are ready. */
  onProgress?: (ready: number, total: number) => void;
  /** `ccm up --raft-election-timeout 300ms …` as typed (settings-catalog.ts), applied over `settings`. */
  settingFlags?: Partial<Record<string, string>>;
  /**
   * Run the services on etcd instead of the nodes' own Raft core: `local` starts a 3-member etcd cluster beside the
   * nodes (`ccm up --core etcd`); `endpoints` uses an existing one (`--etcd-endpoints`). For a new cluster only.
   */
  etcd?: { local: true } | { endpoints: string[]; access?: EtcdAccess };
}

export interface UpResult {
  file: ClusterFile;
  /** True when the cluster was already running and nothing was started. */
  alreadyRunning: boolean;
  started: string[];
  elapsedMs: number;
}

export function validateUpOptions(opts: UpOptions): { nodes: number; core: number } {
  const nodes = opts.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new CcmError('invalid_argument', `--nodes must be a whole number from 1 to ${MAX_NODES} (got ${nodes})`);
  }
  // On etcd the nodes run no Raft core: none of them is a voter.
  if (opts.etcd) return { nodes, core: 0 };
  const core = opts.core ?? (nodes >= 3 ? 3 : 1);
  if (!Number.isInteger(core) || core < 1 || core > 7 || core % 2 === 0) {
    throw new CcmError('invalid_argument', `--core must be odd, from 1 to 7 (got ${core}): an even number of voters tolerates no more failures than one fewer`);
  }
  if (core > nodes) throw new CcmError('invalid_argument', `--core ${core} is more than --nodes ${nodes}`);
  return { nodes, core };
}

/** `ccm up`: create (or restart) the cluster, start every node, wait until each answers. */
export async function upCluster(paths: ClusterPaths, opts: UpOptions = {}): Promise<UpResult> {
  const t0 = performance.now();
  const { nodes, core } = validateUpOptions(opts);
  // Bad settings are refused before anything is created or changed.
  resolveSettings(DEFAULT_SETTINGS, opts);
  ensureWritableDir(paths.home);
  const existed = clusterExists(paths);
  // No etcd to run or reach: refused before anything is created or started.
  if (!existed && opts.etcd && 'local' in opts.etcd) requireEtcdBinary();
  if (!existed && opts.etcd && 'endpoints' in opts.etcd) await checkEtcdEndpoints(opts.etcd.endpoints, opts.etcd.access);
  let file: ClusterFile;
  if (existed) {
    file = readClusterFile(paths);
    const live = file.nodes.filter((n) => processState(n.pid, n.id) !== 'stopped');
    if (live.length > 0) {
      return { file, alreadyRunning: true, started: [], elapsedMs: performance.now() - t0 };
    }
    if (opts.etcd && !sameBackend(opts.etcd, file.etcd)) {
      throw new CcmError(
        'failed_precondition',
        `cluster "${paths.name}" already exists ${file.etcd ? `on ${file.etcd.mode === 'local' ? 'a local etcd cluster' : `etcd at ${file.etcd.endpoints.join(',')}`}` : 'with its own Raft core'}; start it as it is (omit --core/--etcd-endpoints) or remove it first: ccm down --purge --name ${paths.name}`,
      );
    }
    if (file.etcd?.mode === 'local') requireEtcdBinary();
    // Credentials given again replace the recorded ones (once they work); otherwise the recorded ones are checked.
    if (file.etcd?.mode === 'external') {
      await checkEtcdEndpoints(file.etcd.endpoints, givenAccess(opts) ?? loadEtcdAccess(etcdConnection(secretPaths(paths), file.etcd)));
    }
    // A stopped cluster may start with new settings; every node reads them at start.
    file.settings = resolveSettings(file.settings, opts);
    if (opts.nodes !== undefined && opts.nodes !== file.nodes.length) {
      throw new CcmError(
        'failed_precondition',
        `cluster "${paths.name}" already exists with ${file.nodes.length} nodes; start it as it is (omit --nodes) or remove it first: ccm down --purge --name ${paths.name}`,
      );
    }
  } else {
    checkNewClusterDir(paths);
    file = await newClusterFile(paths, opts, nodes, core);
  }
  if (opts.heal !== undefined) file.heal = opts.heal;
  // Restarting a stopped cluster may switch TLS or command checks (the keyring and tokens stay).
  if (existed && opts.security) file.security = { ...file.security, ...opts.security };
  // The cluster's data (state.db holds every value, node logs the events) is its owner's alone, as its secrets are.
  fs.chmodSync(paths.dir, 0o700);
  // The key, the tokens (and with --tls the CA and node certificates) before any node starts: nodes read them.
  const secrets = ensureClusterSecrets(paths);
  // An external etcd's password and keys in secrets/etcd/ (nodes read them there); cluster.json records who and whether.
  const access = givenAccess(opts);
  if (file.etcd?.mode === 'external' && access) {
    const { user, tls } = writeEtcdAccess(secrets, access);
    delete file.etcd.user;
    delete file.etcd.tls;
    Object.assign(file.etcd, user !== undefined ? { user } : {}, tls ? { tls } : {});
  }
  if (file.security.tls) await (await import('./cluster-tls.js')).ensureTlsCertificates(paths, file);
  registerClusterCredentials(paths, file.host, file.nodes.map((n) => n.ports.http), file.security.tls);
  // A supervisor left from before would see the nodes we are about to start as dead and start them too.
  if (existed && (await stopSupervisor(file.supervisorPid, paths.dir))) file.supervisorPid = null;
  for (const n of file.nodes) {
    n.desired = 'running';
    n.paused = false;
    n.pid = null;
  }
  for (const m of file.etcd?.members ?? []) {
    m.desired = 'running';
    m.paused = false;
    // A member left running (its nodes crashed) keeps serving; only the stopped ones start.
    if (processState(m.pid, m.id) === 'stopped') m.pid = null;
  }
  await withClusterLock(paths, () => writeClusterFile(paths, file));

  const started: string[] = [];
  try {
    // The etcd members first: the nodes' services need their core from the start.
    if (file.etcd && file.etcd.members.length > 0) await startEtcdMembers(paths, file, opts.onProgress);
    const pids = file.nodes.map((n) => spawnNode(paths, n.id));
    await updateClusterFile(paths, (f) => {
      f.nodes.forEach((n, i) => {
        n.pid = pids[i];
        n.startedAtMs = Date.now();
      });
    });
    file.nodes.forEach((n, i) => (n.pid = pids[i]));
    const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000 + 300 * file.nodes.length;
    opts.onProgress?.(0, file.nodes.length);
    await Promise.all(
      file.nodes.map((n) =>
        waitUntilReady(paths, file, n, readyTimeoutMs).then(() => {
          started.push(n.id);
          opts.onProgress?.(started.length, file.nodes.length);
        }),
      ),
    );
  } catch (err) {
    await stopAll(paths, file);
    // A cluster that never came up leaves nothing behind (its dir was new or empty: checkNewClusterDir).
    if (!existed && isClusterDir(paths)) fs.rmSync(paths.dir, { recursive: true, force: true });
    throw err;
  }
  appendClusterEvent(paths, 'cli', 'cluster-up', `cluster ${paths.name} up with ${file.nodes.length} nodes (core ${file.core.join(',')})`);
  if (file.heal) await startSupervisor(paths);
  return { file: readClusterFile(paths), alreadyRunning: false, started, elapsedMs: performance.now() - t0 };
}

/** The credentials `ccm up --etcd-endpoints` was given for an existing etcd (undefined: none given). */
function givenAccess(opts: UpOptions): EtcdAccess | undefined {
  const access = opts.etcd && 'endpoints' in opts.etcd ? opts.etcd.access : undefined;
  return access && (access.auth || access.tls) ? access : undefined;
}

/** Whether `ccm up`'s etcd choice is the one the cluster was created with. */
function sameBackend(wanted: NonNullable<UpOptions['etcd']>, recorded: EtcdBackendRecord | undefined): boolean {
  if (!recorded) return false;
  if ('local' in wanted) return recorded.mode === 'local';
  return recorded.mode === 'external' && [...wanted.endpoints].sort().join(',') === [...recorded.endpoints].sort().join(',');
}

/** Starts every stopped local etcd member (together: the first start needs a quorum) and waits until each is healthy. */
async function startEtcdMembers(paths: ClusterPaths, file: ClusterFile, onProgress?: (ready: number, total: number) => void): Promise<void> {
  const members = file.etcd!.members;
  const toStart = members.filter((m) => m.pid === null);
  const pids = new Map(toStart.map((m) => [m.id, spawnEtcdMember(paths, file, m)]));
  const now = Date.now();
  for (const m of toStart) {
    m.pid = pids.get(m.id)!;
    m.startedAtMs = now;
  }
  await updateClusterFile(paths, (f) => {
    for (const m of f.etcd?.members ?? []) {
      if (pids.has(m.id)) {
        m.pid = pids.get(m.id)!;
        m.startedAtMs = now;
      }
    }
  });
  onProgress?.(0, file.nodes.length);
  await Promise.all(members.map((m) => waitUntilEtcdReady(paths, file, m, 20_000)));
}

/** A new cluster's cluster.json (not yet written): ids n1..nN, the first `core` voters, free ports. */
async function newClusterFile(paths: ClusterPaths, opts: UpOptions, nodes: number, core: number): Promise<ClusterFile> {
  ensureWritableDir(paths.dir);
  const host = opts.host ?? '127.0.0.1';
  const ports = await allocatePorts(host, nodes, { basePort: opts.basePort });
  let etcd: EtcdBackendRecord | undefined;
  if (opts.etcd && 'local' in opts.etcd) etcd = await newLocalEtcd(host, ports);
  if (opts.etcd && 'endpoints' in opts.etcd) etcd = { mode: 'external', endpoints: opts.etcd.endpoints, members: [] };
  return {
    version: 1,
    name: paths.name,
    host,
    createdAtMs: Date.now(),
    core: Array.from({ length: core }, (_, i) => `n${i + 1}`),
    heal: opts.heal ?? true,
    supervisorPid: null,
    nodes: ports.map((p, i) => ({ id: `n${i + 1}`, ports: p, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 })),
    faults: [],
    settings: resolveSettings(DEFAULT_SETTINGS, opts),
    security: { ...DEFAULT_SECURITY, ...opts.security },
    ...(etcd ? { etcd } : {}),
  };
}

/** `--setting key=value` pairs, then the named setting flags, over `base`; the result is checked as a whole. */
function resolveSettings(base: ClusterSettings, opts: UpOptions): ClusterSettings {
  const merged = { ...base, ...opts.settings };
  const result = { ...merged, ...applySettingFlags(merged, opts.settingFlags ?? {}) };
  validateSettings(result);
  return result;
}

/** Writes a new, stopped cluster (refused if one exists under the name); `ccm up` starts it. */
export async function createCluster(paths: ClusterPaths, opts: UpOptions = {}): Promise<ClusterFile> {
  const { nodes, core } = validateUpOptions(opts);
  ensureWritableDir(paths.home);
  if (clusterExists(paths) || fs.existsSync(paths.dir)) {
    throw new CcmError('already_exists', `cluster "${paths.name}" already exists at ${paths.dir}; choose another --name, or remove it first: ccm down --purge --name ${paths.name}`);
  }
  const file = await newClusterFile(paths, opts, nodes, core);
  for (const n of file.nodes) n.desired = 'stopped';
  await withClusterLock(paths, () => writeClusterFile(paths, file));
  return file;
}

/** Starts a node or a local etcd member (by id), detached; returns its pid. */
export function spawnProcess(paths: ClusterPaths, file: ClusterFile, id: string): number {
  const record = findProcess(file, id);
  return isEtcdMember(record) ? spawnEtcdMember(paths, file, record) : spawnNode(paths, id);
}

/** Waits until a node answers, or a local etcd member is healthy. */
export async function waitUntilProcessReady(paths: ClusterPaths, file: ClusterFile, record: ProcessRecord, timeoutMs: number): Promise<void> {
  if (isEtcdMember(record)) await waitUntilEtcdReady(paths, file, record, timeoutMs);
  else await waitUntilReady(paths, file, record, timeoutMs);
}

/** Starts one node process, detached, with its output appended to its node.log; returns its pid. */
export function spawnNode(paths: ClusterPaths, id: string): number {
  fs.mkdirSync(nodeDir(paths, id), { recursive: true });
  return spawnDetached(NODE_PROGRAM, ['--dir', paths.dir, '--id', id], nodeLogPath(paths, id), `node ${id}`);
}

/** Waits until the node answers /v1/status; fails fast (with its last log lines) if its process dies. */
export async function waitUntilReady(paths: ClusterPaths, file: ClusterFile, node: NodeRecord, timeoutMs: number): Promise<NodeStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.pid !== null && processState(node.pid, node.id) === 'stopped') {
      throw new CcmError('unavailable', `node ${node.id} exited during start-up. Its last log lines:\n${lastLogLines(paths, node.id, 8)}`);
    }
    try {
      const status = await requestJson<NodeStatus>({ host: file.host, port: node.ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: 1000 });
      if (status.pid === node.pid || node.pid === null) return status;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new CcmError('timeout', `node ${node.id} did not become ready within ${timeoutMs} ms. Its last log lines:\n${lastLogLines(paths, node.id, 8)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function lastLogLines(paths: ClusterPaths, id: string, count: number): string {
  try {
    const text = fs.readFileSync(nodeLogPath(paths, id), 'utf8');
    const lines = text.trimEnd().split('\n').slice(-count);
    return lines.map((l) => `  ${l}`).join('\n') || '  (empty log)';
  } catch {
    return '  (no log)';
  }
}

/** SIGTERM (after SIGCONT, in case it is paused), then SIGKILL if it has not exited within the grace period. */
export async function stopProcess(pid: number, id: string): Promise<void> {
  if (processState(pid, id) === 'stopped') return;
  // A stopped (paused) process would hold SIGTERM until continued.
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  if (!(await waitForExit(pid, id, STOP_GRACE_MS))) {
    signal(pid, 'SIGKILL');
    await waitForExit(pid, id, 2000);
  }
}

/** Stops every node, then every local etcd member (the nodes' services use them until they are gone). */
async function stopAll(paths: ClusterPaths, file: ClusterFile, onProgress?: (stopped: number, total: number) => void): Promise<string[]> {
  const stopped: string[] = [];
  const isLive = (p: ProcessRecord): boolean => p.pid !== null && processState(p.pid, p.id) !== 'stopped';
  const liveNodes = file.nodes.filter(isLive);
  const liveMembers = (file.etcd?.members ?? []).filter(isLive);
  const total = liveNodes.length + liveMembers.length;
  onProgress?.(0, total);
  for (const group of [liveNodes, liveMembers]) {
    await Promise.all(
      group.map(async (n) => {
        await stopProcess(n.pid!, n.id);
        stopped.push(n.id);
        onProgress?.(stopped.length, total);
      }),
    );
  }
  return stopped;
}

export interface DownResult {
  stopped: string[];
  purged: boolean;
}

/** `ccm down`: stop the supervisor, then every node (SIGTERM, SIGKILL after a grace period); --purge deletes the dir. */
export async function downCluster(paths: ClusterPaths, opts: { purge?: boolean; onProgress?: (stopped: number, total: number) => void } = {}): Promise<DownResult> {
  if (!clusterExists(paths)) {
    if (opts.purge && fs.existsSync(paths.dir)) removeClusterDir(paths); // refuses: no cluster.json there
    throw new CcmError('not_running', `cluster "${paths.name}" does not exist (nothing at ${paths.dir})`);
  }
  let file: ClusterFile;
  try {
    file = await updateClusterFile(paths, (f) => {
      for (const n of clusterProcesses(f)) n.desired = 'stopped';
    });
  } catch (err) {
    // A corrupt cluster.json can still be purged.
    if (opts.purge && err instanceof CcmError && err.code === 'failed_precondition') {
      removeClusterDir(paths);
      return { stopped: [], purged: true };
    }
    throw err;
  }
  // First, so it does not restart the nodes we stop; it is gone when this returns.
  await stopSupervisor(file.supervisorPid, paths.dir);
  const stopped = await stopAll(paths, file, opts.onProgress);
  if (opts.purge) {
    removeClusterDir(paths);
    return { stopped: stopped.sort(byNodeId), purged: true };
  }
  await updateClusterFile(paths, (f) => {
    f.supervisorPid = null;
    for (const n of clusterProcesses(f)) {
      n.pid = null;
      n.paused = false;
    }
  });
  appendClusterEvent(paths, 'cli', 'cluster-down', `cluster ${paths.name} stopped (${stopped.length} nodes)`);
  return { stopped: stopped.sort(byNodeId), purged: false };
}

/** Reads cluster.json and insists the cluster has at least one live node (kept here for existing callers). */
export { readRunningCluster } from './cluster-file.js';

export type NodeAction = 'start' | 'stop' | 'kill' | 'restart' | 'pause' | 'resume';

export interface NodeActionResult {
  id: string;
  action: NodeAction;
  pid: number | null;
  state: 'running' | 'paused' | 'stopped';
}

/** One node's (or local etcd member's) lifecycle: start/stop/kill/restart/pause/resume, with the checks that make bad requests clear. */
export async function nodeAction(paths: ClusterPaths, id: string, action: NodeAction): Promise<NodeActionResult> {
  const file = readClusterFile(paths);
  const node = findProcess(file, id);
  const state = processState(node.pid, node.id);
  switch (action) {
    case 'start': {
      if (state !== 'stopped') throw new CcmError('failed_precondition', `node ${id} is already ${state} (pid ${node.pid})`);
      const pid = await startNodeProcess(paths, file, id);
      appendClusterEvent(paths, 'cli', 'node-start', `started ${id} (pid ${pid})`, { node: id, pid });
      return { id, action, pid, state: 'running' };
    }
    case 'stop': {
      if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is not running`);
      await updateClusterFile(paths, (f) => (findProcess(f, id).desired = 'stopped'));
      await stopProcess(node.pid!, id);
      await updateClusterFile(paths, (f) => {
        const n = findProcess(f, id);
        n.pid = null;
        n.paused = false;
      });
      appendClusterEvent(paths, 'cli', 'node-stop', `stopped ${id}`, { node: id });
      return { id, action, pid: null, state: 'stopped' };
    }
    case 'kill': {
      if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is not running`);
      signal(node.pid!, 'SIGKILL');
      await waitForExit(node.pid!, id, 2000);
      // desired stays 'running': a kill is a crash, and the supervisor (if healing) treats it as one.
      await updateClusterFile(paths, (f) => (findProcess(f, id).paused = false));
      appendClusterEvent(paths, 'cli', 'node-kill', `killed ${id} (SIGKILL, pid ${node.pid})`, { node: id, pid: node.pid });
      return { id, action, pid: node.pid, state: 'stopped' };
    }
    case 'restart': {
      if (state !== 'stopped') await stopProcess(node.pid!, id);
      const pid = await startNodeProcess(paths, readClusterFile(paths), id);
      appendClusterEvent(paths, 'cli', 'node-restart', `restarted ${id} (pid ${pid})`, { node: id, pid });
      return { id, action, pid, state: 'running' };
    }
    case 'pause': {
      if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is not running`);
      if (state === 'paused') throw new CcmError('failed_precondition', `node ${id} is already paused`);
      signal(node.pid!, 'SIGSTOP');
      await updateClusterFile(paths, (f) => (findProcess(f, id).paused = true));
      appendClusterEvent(paths, 'cli', 'node-pause', `paused ${id} (SIGSTOP)`, { node: id });
      return { id, action, pid: node.pid, state: 'paused' };
    }
    case 'resume': {
      if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is not running`);
      if (state !== 'paused') throw new CcmError('failed_precondition', `node ${id} is not paused`);
      signal(node.pid!, 'SIGCONT');
      await updateClusterFile(paths, (f) => (findProcess(f, id).paused = false));
      appendClusterEvent(paths, 'cli', 'node-resume', `resumed ${id} (SIGCONT)`, { node: id });
      return { id, action, pid: node.pid, state: 'running' };
    }
  }
}

/**
 * Starts a stopped node with its old data dir and ports, and waits until it answers. The check that it is not
 * running and the spawn happen under the cluster lock, so the supervisor can never start it a second time.
 */
export async function startNodeProcess(paths: ClusterPaths, _file: ClusterFile, id: string): Promise<number> {
  const updated = await withClusterLock(paths, () => {
    const f = readClusterFile(paths);
    const n = findProcess(f, id);
    const state = processState(n.pid, id);
    if (state !== 'stopped') throw new CcmError('failed_precondition', `node ${id} is already ${state} (pid ${n.pid})`);
    n.pid = spawnProcess(paths, f, id);
    n.desired = 'running';
    n.paused = false;
    n.startedAtMs = Date.now();
    writeClusterFile(paths, f);
    return f;
  });
  const node = findProcess(updated, id);
  await waitUntilProcessReady(paths, updated, node, isEtcdMember(node) ? 20_000 : 10_000);
  return node.pid!;
}

/** Pushes every node's compiled link filter (after a fault change); nodes that are down pick it up at start. */
export async function pushLinkFilters(file: ClusterFile): Promise<{ applied: string[]; unreachable: string[] }> {
  const compiled = compileFaults(file.faults, file.nodes.map((n) => n.id));
  const applied: string[] = [];
  const unreachable: string[] = [];
  await Promise.all(
    file.nodes.map(async (n) => {
      if (processState(n.pid, n.id) !== 'running') {
        unreachable.push(n.id);
        return;
      }
      try {
        await requestJson({ host: nodeHost(file, n), port: n.ports.http }, 'PUT', '/admin/link-filter', compiled[n.id], { timeoutMs: 2000 });
        applied.push(n.id);
      } catch {
        unreachable.push(n.id);
      }
    }),
  );
  return { applied: applied.sort(byNodeId), unreachable: unreachable.sort(byNodeId) };
}

/** Every other node's address, as a node's transports need it. */
export function peerAddresses(file: ClusterFile, except?: string): { id: string; host: string; peerPort: number; gossipPort: number }[] {
  return file.nodes.filter((n) => n.id !== except).map((n) => ({ id: n.id, host: file.host, peerPort: n.ports.peer, gossipPort: n.ports.gossip }));
}

/** Tells every running node (or only `only`) who its peers are now (after ccm node add/remove); returns those that took it. */
export async function pushPeers(file: ClusterFile, only?: string): Promise<{ told: string[]; missed: string[] }> {
  const told: string[] = [];
  const missed: string[] = [];
  await Promise.all(
    file.nodes.map(async (n) => {
      if ((only !== undefined && n.id !== only) || processState(n.pid, n.id) !== 'running') return;
      try {
        await requestJson({ host: file.host, port: n.ports.http }, 'PUT', '/admin/peers', { peers: peerAddresses(file, n.id) }, { timeoutMs: 2000 });
        told.push(n.id);
      } catch {
        missed.push(n.id);
      }
    }),
  );
  return { told: told.sort(byNodeId), missed: missed.sort(byNodeId) };
}

/** n1, n2, … n10, then the etcd members e1, e2, …. */
export function byNodeId(a: string, b: string): number {
  if (a[0] !== b[0]) return a[0] === 'n' ? -1 : b[0] === 'n' ? 1 : a < b ? -1 : 1;
  return Number(a.slice(1)) - Number(b.slice(1));
}
