/**
 * Chaos on a running cluster: add and remove faults, kill, pause, resume and skew nodes, and heal. Every
 * change goes through cluster.json (under the cluster lock) and then to the nodes, so a second terminal's
 * `ccm chaos status` sees it and `ccm chaos heal` can undo it.
 */
import { CcmError } from '../errors/ccm-error.js';
import { requestJson } from '../client/http-json.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { appendClusterEvent } from '../cluster/cluster-events.js';
import { clusterProcesses, findNode, findProcess, isEtcdMember, readClusterFile, updateClusterFile, withClusterLock, writeClusterFile, type ClusterFile } from '../cluster/cluster-file.js';
import { byNodeId, nodeAction, pushLinkFilters, pushPeers, readRunningCluster, spawnProcess, waitUntilProcessReady, type NodeActionResult } from '../cluster/launcher.js';
import { processState, signal, waitForExit } from '../cluster/process-table.js';
import { describeFault, LINK_FAULT_KINDS, validateFault, type Fault } from '../faults/faults.js';

export interface FaultChange {
  /** Every fault active after the change, in words. */
  active: string[];
  /** Nodes whose link filter (or clock) was updated now. */
  applied: string[];
  /** Nodes that were down or not answering; they load the link faults from cluster.json when they start. */
  pending: string[];
}

/** Partition-like faults: only one can be active at a time, a new one replaces the old (as Jepsen's nemesis does). */
const PARTITION_FAMILY: ReadonlySet<Fault['kind']> = new Set(['partition', 'majority-ring']);

/** Whether `next` takes the place of `old` rather than adding to it. */
function replaces(next: Fault, old: Fault): boolean {
  if (PARTITION_FAMILY.has(next.kind) && PARTITION_FAMILY.has(old.kind)) return true;
  if (next.kind !== old.kind) return false;
  switch (next.kind) {
    case 'delay':
    case 'loss':
    case 'duplicate': {
      const o = old as typeof next;
      return (o.a === next.a && o.b === next.b) || (o.a === next.b && o.b === next.a);
    }
    case 'one-way': {
      const o = old as typeof next;
      return o.from === next.from && o.to === next.to;
    }
    case 'kill':
    case 'skew':
    case 'clock-rate':
      return (old as typeof next).node === next.node;
    default:
      return false;
  }
}

function sameFault(a: Fault, b: Fault): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const ADMIN_TIMEOUT_MS = 2000;

/** Sets one node's clock offset; false if the node did not answer. */
async function pushSkew(file: ClusterFile, node: string, offsetMs: number): Promise<boolean> {
  const n = findNode(file, node);
  if (processState(n.pid, n.id) !== 'running') return false;
  try {
    await requestJson({ host: file.host, port: n.ports.http }, 'PUT', '/admin/clock-skew', { offsetMs }, { timeoutMs: ADMIN_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** Sets one node's clock rate; false if the node did not answer. */
async function pushClockRate(file: ClusterFile, node: string, rate: number): Promise<boolean> {
  const n = findNode(file, node);
  if (processState(n.pid, n.id) !== 'running') return false;
  try {
    await requestJson({ host: file.host, port: n.ports.http }, 'PUT', '/admin/clock-rate', { rate }, { timeoutMs: ADMIN_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** The clock rate cluster.json records for a node (1 when none). */
function recordedRate(file: ClusterFile, node: string): number {
  const f = file.faults.find((x): x is Extract<Fault, { kind: 'clock-rate' }> => x.kind === 'clock-rate' && x.node === node);
  return f?.rate ?? 1;
}

/** Pushes a node's recorded clock offset and rate (after a restart or a resume, which missed them). */
async function pushClock(file: ClusterFile, node: string): Promise<void> {
  await pushSkew(file, node, recordedSkew(file, node));
  await pushClockRate(file, node, recordedRate(file, node));
}

/** The offset cluster.json records for a node (0 when none). */
function recordedSkew(file: ClusterFile, node: string): number {
  const skew = file.faults.find((f): f is Extract<Fault, { kind: 'skew' }> => f.kind === 'skew' && f.node === node);
  return skew?.offsetMs ?? 0;
}

/**
 * Adds a link fault or a clock skew and applies it: link filters are pushed to every running node, a skew
 * to its node. A fault of the same kind on the same nodes (any partition, for a partition) is replaced.
 */
export async function addFault(paths: ClusterPaths, fault: Fault): Promise<FaultChange> {
  if (fault.kind === 'kill') throw new CcmError('invalid_argument', 'a kill is not added as a fault: use killNode');
  readRunningCluster(paths);
  const file = await updateClusterFile(paths, (f) => {
    validateFault(fault, f.nodes.map((n) => n.id));
    f.faults = f.faults.filter((x) => !replaces(fault, x));
    if (!(fault.kind === 'skew' && fault.offsetMs === 0) && !(fault.kind === 'clock-rate' && fault.rate === 1)) f.faults.push(fault);
  });
  let pushed: { applied: string[]; unreachable: string[] };
  if (fault.kind === 'skew' || fault.kind === 'clock-rate') {
    const ok = fault.kind === 'skew' ? await pushSkew(file, fault.node, fault.offsetMs) : await pushClockRate(file, fault.node, fault.rate);
    pushed = ok ? { applied: [fault.node], unreachable: [] } : { applied: [], unreachable: [fault.node] };
  } else {
    pushed = await pushLinkFilters(file);
  }
  appendClusterEvent(paths, 'cli', 'fault-injected', describeFault(fault), { fault });
  return { active: file.faults.map(describeFault), applied: pushed.applied, pending: pushed.unreachable };
}

/** Removes one fault (as added) and applies the change; removing a fault that is not active changes nothing. */
export async function removeFault(paths: ClusterPaths, fault: Fault): Promise<FaultChange & { removed: boolean }> {
  let removed = false;
  const file = await updateClusterFile(paths, (f) => {
    const before = f.faults.length;
    f.faults = f.faults.filter((x) => !sameFault(x, fault));
    removed = f.faults.length < before;
  });
  let pushed = { applied: [] as string[], unreachable: [] as string[] };
  if (removed && LINK_FAULT_KINDS.has(fault.kind)) pushed = await pushLinkFilters(file);
  if (removed && (fault.kind === 'skew' || fault.kind === 'clock-rate')) {
    const ok = fault.kind === 'skew' ? await pushSkew(file, fault.node, 0) : await pushClockRate(file, fault.node, 1);
    pushed = ok ? { applied: [fault.node], unreachable: [] } : { applied: [], unreachable: [fault.node] };
  }
  if (removed) appendClusterEvent(paths, 'cli', 'fault-removed', `removed: ${describeFault(fault)}`, { fault });
  return { active: file.faults.map(describeFault), applied: pushed.applied, pending: pushed.unreachable, removed };
}

/** Removes every recorded fault, pushes clear link filters everywhere and sets every running node's clock offset to 0. */
export async function healAll(paths: ClusterPaths): Promise<FaultChange & { removed: string[] }> {
  readRunningCluster(paths);
  return clearFaults(paths);
}

async function clearFaults(paths: ClusterPaths): Promise<FaultChange & { removed: string[] }> {
  let removed: string[] = [];
  const file = await updateClusterFile(paths, (f) => {
    removed = f.faults.map(describeFault);
    f.faults = [];
  });
  const [pushed] = await Promise.all([pushLinkFilters(file), ...file.nodes.map((n) => pushSkew(file, n.id, 0)), ...file.nodes.map((n) => pushClockRate(file, n.id, 1))]);
  appendClusterEvent(paths, 'cli', 'faults-healed', removed.length ? `healed: ${removed.join('; ')}` : 'heal: no faults were active', { removed });
  return { active: [], applied: pushed.applied, pending: pushed.unreachable, removed };
}

/** What a full heal did. */
export interface HealResult extends FaultChange {
  /** Faults that were recorded, in words. */
  removed: string[];
  /** Paused nodes that were resumed (SIGCONT). */
  resumed: string[];
  /** Nodes that were down (killed) and were started again. */
  restarted: string[];
  /** Nodes that could not be resumed or restarted, with why. */
  failed: { node: string; why: string }[];
}

/**
 * Returns the cluster to no faults: every link fault and clock offset removed, every paused node resumed,
 * and every node that was killed (held down by chaos, or crashed while it should run) started again.
 * Nodes the operator stopped (`ccm node stop`) stay stopped.
 */
export async function healCluster(paths: ClusterPaths): Promise<HealResult> {
  const before = readClusterFile(paths);
  const heldDown = new Set(before.faults.flatMap((f) => (f.kind === 'kill' ? [f.node] : [])));
  const healed = await clearFaults(paths);
  const file = readClusterFile(paths);
  const resumed: string[] = [];
  const restarted: string[] = [];
  const failed: { node: string; why: string }[] = [];
  await Promise.all(
    clusterProcesses(file).map(async (n) => {
      const state = processState(n.pid, n.id);
      try {
        if (state === 'paused' || (state === 'running' && n.paused)) {
          if (state === 'paused') await resumeNode(paths, n.id);
          else await updateClusterFile(paths, (f) => (findProcess(f, n.id).paused = false));
          resumed.push(n.id);
        } else if (state === 'stopped' && (heldDown.has(n.id) || n.desired === 'running')) {
          if (await restartNode(paths, n.id)) restarted.push(n.id);
        }
      } catch (err) {
        failed.push({ node: n.id, why: (err as Error).message.split('\n')[0] });
      }
    }),
  );
  resumed.sort(byNodeId);
  restarted.sort(byNodeId);
  if (resumed.length + restarted.length > 0) {
    appendClusterEvent(paths, 'cli', 'nodes-healed', `healed nodes: ${[...resumed.map((n) => `${n} resumed`), ...restarted.map((n) => `${n} restarted`)].join(', ')}`, { resumed, restarted });
  }
  return { ...healed, resumed, restarted, failed };
}

/**
 * Kills a node with SIGKILL, as a crash. With `hold`, the node is held down: marked as not wanted (so the
 * supervisor does not restart it) and recorded as a `kill` fault, until `restartNode` or a heal starts it.
 * Without, it is exactly `ccm node kill` (a healing supervisor restarts it).
 */
export async function killNode(paths: ClusterPaths, id: string, opts: { hold: boolean }): Promise<{ node: string; pid: number; held: boolean }> {
  if (!opts.hold) {
    const r = await nodeAction(paths, id, 'kill');
    return { node: id, pid: r.pid ?? 0, held: false };
  }
  // Under the lock, so the supervisor sees "not wanted" before it can see the process gone.
  const pid = await withClusterLock(paths, () => {
    const file = readClusterFile(paths);
    const node = findProcess(file, id);
    const state = processState(node.pid, id);
    if (state === 'stopped') throw new CcmError('failed_precondition', `node ${id} is not running`);
    node.desired = 'stopped';
    node.paused = false;
    file.faults = file.faults.filter((f) => !(f.kind === 'kill' && f.node === id));
    file.faults.push({ kind: 'kill', node: id });
    writeClusterFile(paths, file);
    signal(node.pid!, 'SIGKILL');
    return node.pid!;
  });
  await waitForExit(pid, id, 2000);
  appendClusterEvent(paths, 'cli', 'node-kill', `killed ${id} (SIGKILL, pid ${pid}), held down until healed`, { node: id, pid, held: true });
  return { node: id, pid, held: true };
}

/**
 * Starts a node that is down (killed) again and waits until it answers; clears its `kill` fault and puts back
 * its recorded clock offset. The check and the spawn happen under the cluster lock, as the supervisor does
 * them, so the two never both start it. Returns false if it was already running (nothing to do).
 */
export async function restartNode(paths: ClusterPaths, id: string, readyTimeoutMs = 15_000): Promise<boolean> {
  const spawned = await withClusterLock(paths, (): { file: ClusterFile; pid: number } | null => {
    const file = readClusterFile(paths);
    const node = findProcess(file, id);
    file.faults = file.faults.filter((f) => !(f.kind === 'kill' && f.node === id));
    node.desired = 'running';
    if (processState(node.pid, id) !== 'stopped') {
      writeClusterFile(paths, file);
      return null;
    }
    const pid = spawnProcess(paths, file, id);
    node.pid = pid;
    node.paused = false;
    node.startedAtMs = Date.now();
    writeClusterFile(paths, file);
    return { file, pid };
  });
  if (spawned === null) return false;
  const record = findProcess(spawned.file, id);
  // A restarted etcd member catches up with its leader before it says it is healthy: it gets longer.
  await waitUntilProcessReady(paths, spawned.file, record, isEtcdMember(record) ? Math.max(readyTimeoutMs, 30_000) : readyTimeoutMs);
  if (!isEtcdMember(record)) await pushClock(readClusterFile(paths), id);
  appendClusterEvent(paths, 'cli', 'node-restart', `restarted ${id} (pid ${spawned.pid})`, { node: id, pid: spawned.pid });
  return true;
}

/**
 * Resumes a paused node (SIGCONT) and brings it up to date: a stopped process took none of the link-filter
 * or clock changes made while it was paused, so its link filter and clock offset are pushed again.
 */
export async function resumeNode(paths: ClusterPaths, id: string): Promise<NodeActionResult> {
  const result = await nodeAction(paths, id, 'resume');
  const file = readClusterFile(paths);
  // An etcd member has no link filter, clock offset or peer list of ours to catch up on.
  if (isEtcdMember(findProcess(file, id))) return result;
  await pushLinkFilters(file);
  await pushClock(file, id);
  // Nodes added or removed while it was frozen.
  await pushPeers(file, id);
  return result;
}

/** Parses `n1,n2 n3,n4,n5` into groups. */
export function parseGroups(args: string[]): string[][] {
  if (args.length < 2) throw new CcmError('invalid_argument', 'give at least two groups, e.g. ccm chaos partition n1,n2 n3,n4,n5');
  return args.map((a) => {
    const ids = a.split(',').map((x) => x.trim());
    if (ids.some((x) => x.length === 0)) throw new CcmError('invalid_argument', `group "${a}" has an empty node id`);
    return ids;
  });
}

/** Every fault in effect, as `ccm chaos status` shows it. */
export interface ChaosStatus {
  cluster: string;
  /** Recorded faults (link faults, held-down kills, clock skews), in words. */
  faults: { kind: Fault['kind']; description: string }[];
  /** Nodes stopped with SIGSTOP. */
  paused: string[];
  /** Nodes that should run but are down (crashed, or killed and not yet restarted by the supervisor). */
  down: string[];
  /** Clock offsets the nodes report (non-zero only), in ms; a node that did not answer is left out. */
  clockSkewMs: Record<string, number>;
  /** Clock rates the nodes report (other than 1 only). */
  clockRates: Record<string, number>;
  /** Every fault in effect, in words, one per line (what the human output prints). */
  lines: string[];
}

/** The faults in effect now: recorded faults, paused and down nodes, and the clock offsets the nodes report. */
export async function chaosStatus(paths: ClusterPaths): Promise<ChaosStatus> {
  const file = readClusterFile(paths);
  const paused: string[] = [];
  const down: string[] = [];
  const clockSkewMs: Record<string, number> = {};
  const clockRates: Record<string, number> = {};
  const held = new Set(file.faults.flatMap((f) => (f.kind === 'kill' ? [f.node] : [])));
  await Promise.all(
    clusterProcesses(file).map(async (n) => {
      const state = processState(n.pid, n.id);
      if (state === 'paused') paused.push(n.id);
      if (state === 'stopped' && n.desired === 'running' && !held.has(n.id)) down.push(n.id);
      if (state !== 'running' || isEtcdMember(n)) return;
      try {
        const s = await requestJson<{ clockSkewMs?: number; clockRate?: number }>({ host: file.host, port: n.ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: ADMIN_TIMEOUT_MS });
        if (typeof s.clockSkewMs === 'number' && s.clockSkewMs !== 0) clockSkewMs[n.id] = s.clockSkewMs;
        if (typeof s.clockRate === 'number' && s.clockRate !== 1) clockRates[n.id] = s.clockRate;
      } catch {
        // not answering: its offset is unknown
      }
    }),
  );
  paused.sort(byNodeId);
  down.sort(byNodeId);
  const faults = file.faults.map((f) => ({
    kind: f.kind,
    description:
      f.kind === 'kill' && processState(findProcess(file, f.node).pid, f.node) !== 'stopped'
        ? `${f.node} was killed by chaos and has been started again since (ccm chaos heal clears the record)`
        : describeFault(f),
  }));
  const lines = faults.map((f) => f.description);
  for (const [node, offset] of Object.entries(clockSkewMs)) {
    if (recordedSkew(file, node) !== offset) lines.push(`clock of ${node} is off by ${offset} ms (not recorded in cluster.json)`);
  }
  for (const f of file.faults) {
    if (f.kind === 'skew' && clockSkewMs[f.node] === undefined && processState(findNode(file, f.node).pid, f.node) === 'running') {
      lines.push(`(${f.node} reports no clock offset: it restarted since the skew was set; ccm chaos heal clears the record)`);
    }
  }
  for (const [node, rate] of Object.entries(clockRates)) {
    if (recordedRate(file, node) !== rate) lines.push(`timers of ${node} run at ${rate}x (not recorded in cluster.json)`);
  }
  for (const n of paused) lines.push(`${n} paused (SIGSTOP)`);
  for (const n of down) lines.push(`${n} down (crashed or killed; ${file.heal ? 'the supervisor restarts it' : 'healing is off'})`);
  return { cluster: file.name, faults, paused, down, clockSkewMs, clockRates, lines };
}
