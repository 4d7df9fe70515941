import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import type { ClusterPaths } from './cluster-dir.js';
import { NODE_ID_PATTERN } from './cluster-dir.js';
import type { Fault } from '../faults/faults.js';
import { DEFAULT_LOG_MAX_BYTES } from './log-rotation.js';
import { withClusterLock } from './cluster-lock.js';
import { processState } from './process-table.js';
import { registerClusterCredentials } from './cluster-secrets.js';
import { ETCD_MEMBER_ID_PATTERN } from './etcd-program.js';

export interface NodePorts {
  /** Client API and admin (HTTP). */
  http: number;
  /** Peer RPC and Raft (TCP). */
  peer: number;
  /** Gossip (UDP). */
  gossip: number;
  /** etcd's v3 API (gRPC). Absent in a cluster made before ccm spoke etcd: its nodes serve no etcd API. */
  etcd?: number;
}

export interface NodeRecord {
  id: string;
  /** The node's own address, when it is not the cluster's `host` (agents on other hosts, reached by --endpoints). */
  host?: string;
  ports: NodePorts;
  /** The process we last started, or null when we know it is not running. */
  pid: number | null;
  /** What the operator asked for: the supervisor restarts a node that should run but died. */
  desired: 'running' | 'stopped';
  /** Set by `node pause` (SIGSTOP), cleared by resume. */
  paused: boolean;
  startedAtMs: number | null;
  /** Restarts done by the supervisor since the cluster came up. */
  restarts: number;
}

export const RAFT_LOG_STORES = ['sqlite', 'segments'] as const;
export type RaftLogStore = (typeof RAFT_LOG_STORES)[number];

/** Tunables a cluster is started with; each node reads them at start. */
export interface ClusterSettings {
  raftTickMs: number;
  raftElectionTicks: number;
  raftHeartbeatTicks: number;
  gossipProbeIntervalMs: number;
  /** Compact the Raft log once this many applied entries sit above the compaction point. */
  raftLogCompactThreshold: number;
  /** Entries kept behind the applied index when compacting (a briefly lagging follower catches up from them). */
  raftLogTrailingEntries: number;
  /** Compact the Raft log also once its applied entries hold this many bytes (large values fill it fast). */
  raftLogCompactBytes: number;
  /** ...keeping at most this many bytes of entries behind the applied index. */
  raftLogTrailingBytes: number;
  /** Bytes of log entries a leader has in flight to one follower at most (flow control for large entries). */
  raftMaxInflightBytes: number;
  /** Watch history kept: the leader compacts events once they hold this many bytes (as well as 10,000 revisions). */
  watchHistoryBytes: number;
  /** A voter dead (in gossip, and silent to Raft) this long is replaced by a healthy member. */
  coreReplaceAfterMs: number;
  /** A node's node.log is rotated to node.log.1 past this size. */
  logMaxBytes: number;
  /**
   * Where each node keeps its Raft log: `segments` (preallocated segment files, one fdatasync per Ready, as etcd's
   * WAL) or `sqlite` (in the node's database). The applied state is in SQLite either way.
   */
  raftLogStore: RaftLogStore;
  /** Test-only fault switch, to prove the checkers can fail (see chaos). Never set in normal use. */
  unsafeFaultSwitch?: string;
}

/**
 * The fault switch a node runs with: the setting as given, or, for a bug planted by `ccm exercise bug`
 * (`planted:<base64>`, so cluster.json does not name it in plain words), the switch it encodes.
 */
export function decodeFaultSwitch(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('planted:')) return value;
  return Buffer.from(value.slice('planted:'.length), 'base64').toString('utf8');
}

export const DEFAULT_SETTINGS: ClusterSettings = {
  raftTickMs: 50,
  raftElectionTicks: 6,
  raftHeartbeatTicks: 1,
  gossipProbeIntervalMs: 200,
  raftLogCompactThreshold: 20_000,
  raftLogTrailingEntries: 5_000,
  raftLogCompactBytes: 128 * 1024 * 1024,
  raftLogTrailingBytes: 32 * 1024 * 1024,
  raftMaxInflightBytes: 4 * 1024 * 1024,
  watchHistoryBytes: 64 * 1024 * 1024,
  coreReplaceAfterMs: 30_000,
  logMaxBytes: DEFAULT_LOG_MAX_BYTES,
  raftLogStore: 'sqlite',
};

/** Parses `--setting key=value` pairs into settings, rejecting unknown keys and non-numbers (raftLogStore takes a name). */
export function parseSettings(pairs: string[]): Partial<ClusterSettings> {
  const out: Record<string, number | string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!(key in DEFAULT_SETTINGS) && key !== 'unsafeFaultSwitch') {
      throw new CcmError('invalid_argument', `unknown setting "${key || pair}"; known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`);
    }
    const raw = pair.slice(eq + 1);
    if (key === 'unsafeFaultSwitch') {
      out[key] = raw;
      continue;
    }
    if (key === 'raftLogStore') {
      if (!(RAFT_LOG_STORES as readonly string[]).includes(raw)) throw new CcmError('invalid_argument', `setting raftLogStore must be one of ${RAFT_LOG_STORES.join(', ')} (got "${raw}")`);
      out[key] = raw;
      continue;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new CcmError('invalid_argument', `setting ${key} must be a positive whole number (got "${raw}")`);
    out[key] = n;
  }
  return out as Partial<ClusterSettings>;
}

/** How the cluster guards itself (set at `ccm up`; the secrets themselves are in secrets/, see cluster-secrets.ts). */
export interface ClusterSecurity {
  /** Seal every peer frame and datagram with the keyring. Off only for the bench's comparison row. */
  peerEncryption: boolean;
  /** Serve the HTTP API over TLS with certificates from the cluster's CA (`ccm up --tls`). */
  tls: boolean;
  /** Let health checks run shell commands (`ccm up --allow-command-checks`); refused otherwise. */
  allowCommandChecks: boolean;
}

export const DEFAULT_SECURITY: ClusterSecurity = { peerEncryption: true, tls: false, allowCommandChecks: false };

export interface ClusterFile {
  version: 1;
  name: string;
  host: string;
  createdAtMs: number;
  /** The Raft voters the cluster was created with (the first --core nodes). */
  core: string[];
  /** Whether the supervisor restarts nodes that die. */
  heal: boolean;
  supervisorPid: number | null;
  nodes: NodeRecord[];
  /** Active link faults (partitions, delays, loss); compiled into each node's link filter. */
  faults: Fault[];
  settings: ClusterSettings;
  security: ClusterSecurity;
  /** The highest node number ever given out (ccm node add never reuses the id of a removed node). */
  lastNodeNumber?: number;
  /** Set when the services run on etcd instead of the nodes' own Raft core (`ccm up --core etcd`, `--etcd-endpoints`). */
  etcd?: EtcdBackendRecord;
}

/** An etcd cluster the nodes run their services on (the core port's etcd implementation). */
export interface EtcdBackendRecord {
  /** `local`: members ccm started beside the nodes, supervised and stopped with them; `external`: an etcd cluster of its own. */
  mode: 'local' | 'external';
  /** Client URLs the nodes connect to (http://host:port). */
  endpoints: string[];
  /** The local members (none for an external cluster). */
  members: EtcdMemberRecord[];
  /** An external etcd's user (its password is in secrets/etcd/password, never here). */
  user?: string;
  /** An external etcd over TLS: its CA (and a client key pair when clientCert) are in secrets/etcd/. */
  tls?: { clientCert: boolean };
}

/** One local etcd member: a process ccm started, as a node is (pid, desired, paused, restarts). */
export interface EtcdMemberRecord {
  /** e1, e2, … (etcd's --name). */
  id: string;
  clientPort: number;
  peerPort: number;
  pid: number | null;
  desired: 'running' | 'stopped';
  paused: boolean;
  startedAtMs: number | null;
  restarts: number;
}

/** What a node and an etcd member have in common as processes ccm starts, stops, pauses and restarts. */
export type ProcessRecord = NodeRecord | EtcdMemberRecord;

/** Where a node answers: its own address, or the cluster's. */
export function nodeHost(file: ClusterFile, node: NodeRecord): string {
  return node.host ?? file.host;
}

/**
 * A cluster reached by `--endpoints` (agents on other hosts): built from the nodes' own answers (cluster-client.ts)
 * and used by every command in place of cluster.json, which such a cluster does not have. Changes a command makes
 * (faults) stay in this process's copy; they reach the nodes as they always do, through each node's admin API.
 */
let remoteCluster: ClusterFile | null = null;

export function useRemoteCluster(file: ClusterFile | null): void {
  remoteCluster = file;
}

export function clusterExists(paths: ClusterPaths): boolean {
  if (remoteCluster) return true;
  return fs.existsSync(paths.clusterFile);
}

/** Reads and validates cluster.json; a missing file is `not_running`, a damaged one a clear `failed_precondition`. */
export function readClusterFile(paths: ClusterPaths): ClusterFile {
  if (remoteCluster) return remoteCluster;
  let text: string;
  try {
    text = fs.readFileSync(paths.clusterFile, 'utf8');
  } catch {
    throw new CcmError('not_running', `cluster "${paths.name}" does not exist (no ${paths.clusterFile}); start it with: ccm up --name ${paths.name}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(paths, `not valid JSON (${(err as Error).message})`);
  }
  const problem = findProblem(value);
  if (problem) throw corrupt(paths, problem);
  const file = value as ClusterFile;
  file.settings = { ...DEFAULT_SETTINGS, ...(file.settings ?? {}) };
  file.faults ??= [];
  file.security = { ...DEFAULT_SECURITY, ...(file.security ?? {}) };
  // Whoever reads the cluster's files talks to its nodes with its tokens (and trusts its CA).
  registerClusterCredentials(paths, file.host, file.nodes.map((n) => n.ports.http), file.security.tls);
  return file;
}

function corrupt(paths: ClusterPaths, why: string): CcmError {
  return new CcmError(
    'failed_precondition',
    `${paths.clusterFile} is corrupt: ${why}. Stop any node processes it started and remove the file (or run ccm down --purge --name ${paths.name}).`,
  );
}

function findProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'expected an object';
  const f = value as Record<string, unknown>;
  if (f.version !== 1) return `unsupported version ${JSON.stringify(f.version)}`;
  if (typeof f.name !== 'string') return 'missing "name"';
  if (typeof f.host !== 'string') return 'missing "host"';
  if (!Array.isArray(f.core) || !f.core.every((x) => typeof x === 'string')) return '"core" must be a list of node ids';
  if (!Array.isArray(f.nodes) || f.nodes.length === 0) return '"nodes" must be a non-empty list';
  const seen = new Set<string>();
  for (const [i, n] of (f.nodes as unknown[]).entries()) {
    if (typeof n !== 'object' || n === null) return `nodes[${i}] is not an object`;
    const r = n as Record<string, unknown>;
    if (typeof r.id !== 'string' || !NODE_ID_PATTERN.test(r.id)) return `nodes[${i}].id is invalid`;
    if (seen.has(r.id)) return `node id ${r.id} appears twice`;
    seen.add(r.id);
    const p = r.ports as Record<string, unknown> | undefined;
    for (const k of ['http', 'peer', 'gossip', 'etcd']) {
      const port = p?.[k];
      if (k === 'etcd' && port === undefined) continue;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `nodes[${i}].ports.${k} is invalid`;
    }
    if (r.pid !== null && (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0)) return `nodes[${i}].pid is invalid`;
    if (r.desired !== 'running' && r.desired !== 'stopped') return `nodes[${i}].desired is invalid`;
  }
  for (const id of f.core as string[]) if (!seen.has(id)) return `core voter ${id} is not a node`;
  if (f.faults !== undefined && !Array.isArray(f.faults)) return '"faults" must be a list';
  const store = (f.settings as Record<string, unknown> | undefined)?.raftLogStore;
  if (store !== undefined && !(RAFT_LOG_STORES as readonly unknown[]).includes(store)) return `settings.raftLogStore must be one of ${RAFT_LOG_STORES.join(', ')}`;
  if (f.etcd !== undefined) {
    const problem = etcdProblem(f.etcd, seen);
    if (problem) return problem;
  }
  if (f.security !== undefined) {
    const sec = f.security as Record<string, unknown> | null;
    if (typeof sec !== 'object' || sec === null) return '"security" must be an object';
    for (const k of ['peerEncryption', 'tls', 'allowCommandChecks']) if (sec[k] !== undefined && typeof sec[k] !== 'boolean') return `security.${k} must be true or false`;
  }
  return null;
}

function etcdProblem(value: unknown, nodeIds: Set<string>): string | null {
  if (typeof value !== 'object' || value === null) return '"etcd" must be an object';
  const e = value as Record<string, unknown>;
  if (e.mode !== 'local' && e.mode !== 'external') return 'etcd.mode must be local or external';
  if (!Array.isArray(e.endpoints) || e.endpoints.length === 0 || !e.endpoints.every((u) => typeof u === 'string' && /^https?:\/\/[^/\s]+$/.test(u))) {
    return 'etcd.endpoints must be a non-empty list of http(s)://host:port URLs';
  }
  if (!Array.isArray(e.members)) return 'etcd.members must be a list';
  if (e.mode === 'external' && e.members.length > 0) return 'an external etcd cluster has no local members';
  if (e.user !== undefined && (e.mode !== 'external' || typeof e.user !== 'string' || e.user.length === 0 || e.user.length > 256)) return 'etcd.user must be a user name (external etcd only)';
  if (e.tls !== undefined) {
    const t = e.tls as Record<string, unknown> | null;
    if (e.mode !== 'external' || typeof t !== 'object' || t === null || typeof t.clientCert !== 'boolean') return 'etcd.tls must be {"clientCert": true|false} (external etcd only)';
  }
  for (const [i, m] of (e.members as unknown[]).entries()) {
    const r = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    if (typeof r.id !== 'string' || !ETCD_MEMBER_ID_PATTERN.test(r.id) || nodeIds.has(r.id)) return `etcd.members[${i}].id is invalid`;
    nodeIds.add(r.id);
    for (const k of ['clientPort', 'peerPort']) {
      const port = r[k];
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `etcd.members[${i}].${k} is invalid`;
    }
    if (r.pid !== null && (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0)) return `etcd.members[${i}].pid is invalid`;
    if (r.desired !== 'running' && r.desired !== 'stopped') return `etcd.members[${i}].desired is invalid`;
  }
  return null;
}

/** Writes cluster.json atomically (write a temp file, fsync, rename), so a reader never sees half a file. */
export function writeClusterFile(paths: ClusterPaths, file: ClusterFile): void {
  if (remoteCluster) {
    remoteCluster = file;
    return;
  }
  fs.mkdirSync(paths.dir, { recursive: true });
  const tmp = path.join(paths.dir, `.cluster.json.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(file, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, paths.clusterFile);
}

/** The lock itself lives in cluster-lock.ts; re-exported for the modules that take it from here. */
export { withClusterLock };

/** Read-modify-write of cluster.json under the lock. */
export async function updateClusterFile(paths: ClusterPaths, change: (file: ClusterFile) => void): Promise<ClusterFile> {
  if (remoteCluster) {
    change(remoteCluster);
    return remoteCluster;
  }
  return withClusterLock(paths, () => {
    const file = readClusterFile(paths);
    change(file);
    writeClusterFile(paths, file);
    return file;
  });
}

/** The node or local etcd member `id` (a process ccm started); not_found names both kinds. */
export function findProcess(file: ClusterFile, id: string): ProcessRecord {
  const member = file.etcd?.members.find((m) => m.id === id);
  if (member) return member;
  if (file.etcd && file.etcd.members.length > 0 && !file.nodes.some((n) => n.id === id)) {
    throw new CcmError('not_found', `unknown node or etcd member "${id}"; cluster "${file.name}" has ${[...file.nodes, ...file.etcd.members].map((n) => n.id).join(', ')}`);
  }
  return findNode(file, id);
}

/** Every process of the cluster ccm starts: its nodes, then its local etcd members. */
export function clusterProcesses(file: ClusterFile): ProcessRecord[] {
  return [...file.nodes, ...(file.etcd?.members ?? [])];
}

export function isEtcdMember(record: ProcessRecord): record is EtcdMemberRecord {
  return 'clientPort' in record;
}

export function findNode(file: ClusterFile, id: string): NodeRecord {
  const node = file.nodes.find((n) => n.id === id);
  if (!node) {
    throw new CcmError('not_found', `unknown node "${id}"; cluster "${file.name}" has ${file.nodes.map((n) => n.id).join(', ')}`);
  }
  return node;
}

/**
 * Reads cluster.json and insists the cluster has at least one live node. Lives here, not in the launcher, so that
 * client commands need not load the process-spawning code (execa) at start-up.
 */
export function readRunningCluster(paths: ClusterPaths): ClusterFile {
  const file = readClusterFile(paths);
  if (file.nodes.every((n) => processState(n.pid, n.id) === 'stopped')) {
    throw new CcmError('not_running', `cluster "${paths.name}" is not running (every node is stopped); start it with: ccm up --name ${paths.name}`);
  }
  return file;
}

