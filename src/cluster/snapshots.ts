/**
 * Backups: `ccm snapshot save` asks the Raft leader for its applied state (after a ReadIndex round, so it holds every
 * acknowledged write) and writes it with a checksum; `ccm snapshot restore` makes a new cluster whose voters start
 * from that state (each finds it in its data dir at first start); `ccm snapshot status` checks a file and says what
 * it holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import { requestJson } from '../client/http-json.js';
import { nodeDir, type ClusterPaths } from './cluster-dir.js';
import { readRunningCluster, type ClusterFile } from './cluster-file.js';
import { createCluster, upCluster, type UpOptions, type UpResult } from './launcher.js';
import { processState } from './process-table.js';
import { encodeSnapshotFile, readSnapshotFile, RESTORE_FILE_NAME, writeSnapshotFile, type SnapshotDocument, type SnapshotHeader } from './snapshot-file.js';

export interface SnapshotSaveResult {
  file: string;
  header: SnapshotHeader;
  fileBytes: number;
}

const SNAPSHOT_TIMEOUT_MS = 30_000;

/** The current leader's snapshot: every running voter is asked in turn, following `not_leader` hints. */
async function fetchSnapshot(file: ClusterFile): Promise<SnapshotDocument> {
  const running = file.nodes.filter((n) => processState(n.pid, n.id) === 'running');
  const order = [...running.filter((n) => file.core.includes(n.id)), ...running.filter((n) => !file.core.includes(n.id))];
  let lastError: Error | null = null;
  const asked = new Set<string>();
  const queue = order.map((n) => n.id);
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (asked.has(id)) continue;
    asked.add(id);
    const node = file.nodes.find((n) => n.id === id);
    if (!node) continue;
    try {
      return await requestJson<SnapshotDocument>({ host: file.host, port: node.ports.http }, 'GET', '/v1/snapshot', undefined, {
        timeoutMs: SNAPSHOT_TIMEOUT_MS,
        headers: { 'x-ccm-timeout-ms': String(SNAPSHOT_TIMEOUT_MS) },
      });
    } catch (err) {
      lastError = err as Error;
      const leader = (err as CcmError).details as { leader?: unknown } | undefined;
      if (err instanceof CcmError && err.code === 'not_leader' && typeof leader?.leader === 'string') queue.unshift(leader.leader);
    }
  }
  throw new CcmError('unavailable', `no Raft leader answered the snapshot request${lastError ? ` (last: ${lastError.message})` : ''}`);
}

export async function saveSnapshot(paths: ClusterPaths, target: string): Promise<SnapshotSaveResult> {
  const file = readRunningCluster(paths);
  const out = path.resolve(target);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new CcmError('invalid_argument', `${out} is a directory; give a file name`);
  if (!fs.existsSync(path.dirname(out))) throw new CcmError('invalid_argument', `${path.dirname(out)} does not exist`);
  const doc = await fetchSnapshot(file);
  const bytes = encodeSnapshotFile(doc);
  writeSnapshotFile(out, bytes);
  // Read it back as restore will: a backup that does not verify is not a backup.
  const check = readSnapshotFile(out);
  return { file: out, header: check.header, fileBytes: check.fileBytes };
}

export function snapshotStatus(target: string): SnapshotSaveResult {
  const out = path.resolve(target);
  const { header, fileBytes } = readSnapshotFile(out);
  return { file: out, header, fileBytes };
}

export interface SnapshotRestoreResult {
  cluster: string;
  dir: string;
  from: SnapshotHeader;
  started: boolean;
  up?: UpResult;
}

/**
 * A new cluster named by `paths` whose voters start from the snapshot. Refused if that cluster exists; on any
 * failure the half-made cluster is removed, so nothing changes.
 */
export async function restoreSnapshot(paths: ClusterPaths, source: string, opts: UpOptions & { start?: boolean } = {}): Promise<SnapshotRestoreResult> {
  const { header } = readSnapshotFile(path.resolve(source));
  const file = await createCluster(paths, opts);
  try {
    for (const id of file.core) {
      const dir = nodeDir(paths, id);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.resolve(source), path.join(dir, RESTORE_FILE_NAME));
    }
    if (opts.start === false) return { cluster: paths.name, dir: paths.dir, from: header, started: false };
    const up = await upCluster(paths, { heal: opts.heal });
    return { cluster: paths.name, dir: paths.dir, from: header, started: true, up };
  } catch (err) {
    fs.rmSync(paths.dir, { recursive: true, force: true });
    throw err;
  }
}
