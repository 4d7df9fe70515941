/**
 * Growing and shrinking a running cluster (`ccm node add`, `ccm node remove`), and the list of clusters in a home
 * (`ccm ls`). A new node is written into cluster.json, every running node learns its address (PUT /admin/peers), and
 * then it starts and joins through gossip like any node; with `core`, it also joins Raft as a learner, catches up,
 * and is promoted. A removed node leaves the core first (if it is in it), then gossip (SIGTERM: a graceful leave),
 * and is forgotten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import { requestJson } from '../client/http-json.js';
import { appendClusterEvent } from './cluster-events.js';
import { clientForCluster } from './cluster-client.js';
import { clusterPaths, nodeDir, type ClusterPaths } from './cluster-dir.js';
import { findNode, readClusterFile, readRunningCluster, updateClusterFile, withClusterLock, writeClusterFile, type ClusterFile, type NodeRecord } from './cluster-file.js';
import { MAX_NODES, pushPeers, spawnNode, stopProcess, waitUntilReady } from './launcher.js';
import { coreStatus, waitForCatchUp } from './core-status.js';
import { allocatePorts } from './port-allocator.js';
import { processState } from './process-table.js';

/** Longest a new learner gets to catch up before `node add --core` gives up (and takes it out of the core again). */
const CATCH_UP_TIMEOUT_MS = 60_000;

/** What the caller sees while a long step runs (progress on a terminal). */
export type OnProgress = (text: string) => void;

export interface NodeAddResult {
  id: string;
  pid: number;
  ports: NodeRecord['ports'];
  kind: 'member' | 'voter';
  /** The peers that learned the new node's address (the others learn it when they start or resume). */
  told: string[];
  core?: { voters: string[]; learners: string[] };
}

/** The next free node id: one above the highest ever used here (ids are not reused while their data could linger). */
export function nextNodeId(file: ClusterFile): string {
  const highest = Math.max(file.lastNodeNumber ?? 0, ...file.nodes.map((n) => Number(n.id.slice(1))), ...file.core.map((id) => Number(id.slice(1))));
  return `n${highest + 1}`;
}

/** `ccm node add [--core]`. */
export async function addNode(paths: ClusterPaths, opts: { core?: boolean; onProgress?: OnProgress } = {}): Promise<NodeAddResult> {
  const progress = opts.onProgress ?? (() => undefined);
  readRunningCluster(paths);
  // Choose the id and ports and record the node under the lock, so two concurrent adds never pick the same.
  let id = '';
  const file = await withClusterLock(paths, async () => {
    const f = readClusterFile(paths);
    if (f.nodes.length >= MAX_NODES) throw new CcmError('failed_precondition', `cluster "${paths.name}" already has ${f.nodes.length} nodes, the most a cluster takes`);
    id = nextNodeId(f);
    const avoid = new Set(f.nodes.flatMap((n) => [n.ports.http, n.ports.peer, n.ports.gossip]));
    const [ports] = await allocatePorts(f.host, 1, { avoid });
    f.nodes.push({ id, ports, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 });
    f.lastNodeNumber = Number(id.slice(1));
    fs.rmSync(nodeDir(paths, id), { recursive: true, force: true });
    writeClusterFile(paths, f);
    return f;
  });
  const node = findNode(file, id);
  let pid: number;
  let told: string[];
  try {
    progress(`${id}: telling the running nodes its address`);
    told = (await pushPeers(file)).told;
    progress(`${id}: starting`);
    const updated = await withClusterLock(paths, () => {
      const f = readClusterFile(paths);
      const n = findNode(f, id);
      n.pid = spawnNode(paths, id);
      n.startedAtMs = Date.now();
      writeClusterFile(paths, f);
      return f;
    });
    pid = findNode(updated, id).pid!;
    progress(`${id}: waiting until it answers (pid ${pid})`);
    await waitUntilReady(paths, updated, findNode(updated, id), 15_000);
    progress(`${id}: joining through gossip`);
    await waitForGossipJoin(updated, id, 15_000);
  } catch (err) {
    await forgetNode(paths, id).catch(() => undefined);
    throw err;
  }
  appendClusterEvent(paths, 'cli', 'node-added', `added ${id} (pid ${pid})`, { node: id, pid });
  const result: NodeAddResult = { id, pid, ports: node.ports, kind: 'member', told };
  if (opts.core) {
    result.core = await joinCore(paths, id, progress);
    result.kind = 'voter';
  }
  return result;
}

/** Waits until the new node's own gossip view holds every other running node alive. */
async function waitForGossipJoin(file: ClusterFile, id: string, timeoutMs: number): Promise<void> {
  const node = findNode(file, id);
  const deadline = Date.now() + timeoutMs;
  const others = file.nodes.filter((n) => n.id !== id && processState(n.pid, n.id) === 'running').map((n) => n.id);
  let seen = 0;
  for (;;) {
    try {
      const view = await requestJson<{ members: { id: string; state: string }[] }>({ host: file.host, port: node.ports.http }, 'GET', '/v1/members', undefined, { timeoutMs: 1000 });
      const alive = new Set(view.members.filter((m) => m.state === 'alive').map((m) => m.id));
      seen = others.filter((o) => alive.has(o)).length;
      if (seen === others.length) return;
    } catch {
      // not answering for a moment
    }
    if (Date.now() > deadline) throw new CcmError('timeout', `${id} started but sees only ${seen} of the ${others.length} other running nodes after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Adds `id` to Raft as a learner, waits until it has the log, and promotes it (etcd's learner-first way). */
export async function joinCore(paths: ClusterPaths, id: string, progress: OnProgress): Promise<{ voters: string[]; learners: string[] }> {
  const { client, file } = clientForCluster(paths, { timeoutMs: 15_000 });
  progress(`${id}: joining the core as a learner`);
  await client.changeCore('add-learner', id);
  try {
    await waitForCatchUp(file, id, CATCH_UP_TIMEOUT_MS, progress);
  } catch (err) {
    await client.changeCore('remove', id).catch(() => undefined);
    throw err;
  }
  progress(`${id}: caught up; promoting it to voter`);
  const after = await client.changeCore('promote', id);
  appendClusterEvent(paths, 'cli', 'core-voter-added', `${id} joined the core as a voter (voters ${after.voters.join(',')})`, { node: id, voters: after.voters });
  return after;
}

export interface NodeRemoveResult {
  id: string;
  /** Whether it was a voter or learner and was taken out of the core first. */
  leftCore: boolean;
  core?: { voters: string[]; learners: string[] };
  stopped: boolean;
}

/** `ccm node remove <id>`: out of the core first (refused if that would cost the quorum), then a graceful leave. */
export async function removeNode(paths: ClusterPaths, id: string, opts: { onProgress?: OnProgress } = {}): Promise<NodeRemoveResult> {
  const progress = opts.onProgress ?? (() => undefined);
  const file = readRunningCluster(paths);
  findNode(file, id);
  if (file.nodes.length === 1) throw new CcmError('failed_precondition', `${id} is the cluster's only node; to stop it, use ccm down --name ${paths.name}`);
  const faults = file.faults.filter((f) => JSON.stringify(f).includes(`"${id}"`));
  if (faults.length > 0) throw new CcmError('failed_precondition', `${id} is named in an active fault (${faults.map((f) => f.kind).join(', ')}); heal it first: ccm chaos heal --name ${paths.name}`);
  const { client } = clientForCluster(paths, { timeoutMs: 15_000 });
  const core = await coreStatus(paths);
  const inCore = core.voters.some((v) => v.id === id) || core.learners.includes(id);
  let after: { voters: string[]; learners: string[] } | undefined;
  if (inCore) {
    progress(`${id}: leaving the core`);
    // The core refuses (failed_precondition, with the reason) a removal that would leave it without a quorum.
    after = await client.changeCore('remove', id);
  }
  const node = findNode(readClusterFile(paths), id);
  let stopped = false;
  await updateClusterFile(paths, (f) => (findNode(f, id).desired = 'stopped'));
  if (node.pid !== null && processState(node.pid, id) !== 'stopped') {
    progress(`${id}: leaving gossip and stopping`);
    await stopProcess(node.pid, id);
    stopped = true;
  }
  await forgetNode(paths, id);
  appendClusterEvent(paths, 'cli', 'node-removed', `removed ${id}${inCore ? ' (out of the core first)' : ''}`, { node: id });
  return { id, leftCore: inCore, ...(after ? { core: after } : {}), stopped };
}

/** Drops a node from cluster.json (and from the first-voter list), deletes its data, and tells the others. */
async function forgetNode(paths: ClusterPaths, id: string): Promise<void> {
  const node = findNode(readClusterFile(paths), id);
  if (node.pid !== null && processState(node.pid, id) !== 'stopped') await stopProcess(node.pid, id);
  const file = await updateClusterFile(paths, (f) => {
    f.nodes = f.nodes.filter((n) => n.id !== id);
    f.core = f.core.filter((c) => c !== id);
  });
  fs.rmSync(nodeDir(paths, id), { recursive: true, force: true });
  await pushPeers(file);
}

export interface ClusterListing {
  name: string;
  dir: string;
  /** running: every node runs; partial: some do; stopped: none; broken: cluster.json cannot be read. */
  state: 'running' | 'partial' | 'stopped' | 'broken';
  nodes: number;
  running: number;
  core: string[];
  createdAtMs: number | null;
  problem?: string;
}

/** `ccm ls`: every cluster under the home, with how many of its nodes run. */
export function listClusters(home: string): ClusterListing[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(home, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CcmError('invalid_argument', `cannot read the cluster home ${home}: ${(err as Error).message}`);
  }
  const out: ClusterListing[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    let paths: ClusterPaths;
    try {
      paths = clusterPaths(home, e.name);
    } catch {
      continue;
    }
    if (!fs.existsSync(paths.clusterFile)) continue;
    try {
      const file = readClusterFile(paths);
      const running = file.nodes.filter((n) => processState(n.pid, n.id) !== 'stopped').length;
      out.push({
        name: e.name,
        dir: paths.dir,
        state: running === 0 ? 'stopped' : running === file.nodes.length ? 'running' : 'partial',
        nodes: file.nodes.length,
        running,
        core: file.core,
        createdAtMs: file.createdAtMs,
      });
    } catch (err) {
      out.push({ name: e.name, dir: path.join(home, e.name), state: 'broken', nodes: 0, running: 0, core: [], createdAtMs: null, problem: (err as Error).message });
    }
  }
  return out;
}
