import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';

/** Where one cluster's state lives: `<home>/<name>/` holding cluster.json, events.log and nodes/<id>/. */
export interface ClusterPaths {
  home: string;
  name: string;
  dir: string;
  clusterFile: string;
  lockFile: string;
  eventsLog: string;
  nodesDir: string;
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
export const NODE_ID_PATTERN = /^n[1-9][0-9]{0,3}$/;

export function validateClusterName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new CcmError('invalid_argument', `invalid cluster name "${name}": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
}

export function clusterPaths(home: string, name: string): ClusterPaths {
  validateClusterName(name);
  const absHome = path.resolve(home);
  const dir = path.join(absHome, name);
  return {
    home: absHome,
    name,
    dir,
    clusterFile: path.join(dir, 'cluster.json'),
    lockFile: path.join(dir, 'cluster.lock'),
    eventsLog: path.join(dir, 'events.log'),
    nodesDir: path.join(dir, 'nodes'),
  };
}

export function nodeDir(paths: ClusterPaths, id: string): string {
  return path.join(paths.nodesDir, id);
}

export function nodeLogPath(paths: ClusterPaths, id: string): string {
  return path.join(nodeDir(paths, id), 'node.log');
}

export function nodeDbPath(dataDir: string): string {
  return path.join(dataDir, 'state.db');
}

/**
 * Creates the cluster dir, or says clearly why it can't (not writable, a file in the way). Creates one level at
 * a time: Node's recursive mkdir spins forever under some pseudo file systems (/proc).
 */
export function ensureWritableDir(dir: string): void {
  try {
    const missing: string[] = [];
    let at = path.resolve(dir);
    while (!fs.existsSync(at)) {
      missing.unshift(at);
      const parent = path.dirname(at);
      if (parent === at) break;
      at = parent;
    }
    if (!fs.statSync(at).isDirectory()) throw new Error(`${at} is not a directory`);
    fs.accessSync(at, fs.constants.W_OK);
    for (const d of missing) fs.mkdirSync(d);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new CcmError('invalid_argument', `cluster dir ${dir} is not writable: ${(err as Error).message}`);
  }
}

/**
 * Whether `paths.dir` is a ccm cluster's directory: it holds a cluster.json that is ccm's (a version-1 cluster file,
 * or, if damaged, one beside ccm's `nodes/` data). Only such a directory may be deleted by `ccm down --purge`, and
 * `ccm up` creates a cluster only in one, or in a new or empty directory: `--dir . --name src` must never touch ./src.
 */
export function isClusterDir(paths: ClusterPaths): boolean {
  let text: string;
  try {
    text = fs.readFileSync(paths.clusterFile, 'utf8');
  } catch {
    return false;
  }
  try {
    const v = JSON.parse(text) as { version?: unknown; nodes?: unknown } | null;
    if (typeof v === 'object' && v !== null && v.version === 1 && Array.isArray(v.nodes)) return true;
  } catch {
    // damaged: ours if ccm's node data sits beside it
  }
  try {
    return fs.statSync(paths.nodesDir).isDirectory();
  } catch {
    return false;
  }
}

/** Deletes a cluster's directory, refusing (failed_precondition) anything that is not one (isClusterDir). */
export function removeClusterDir(paths: ClusterPaths): void {
  if (!fs.existsSync(paths.dir)) return;
  if (!isClusterDir(paths)) {
    throw new CcmError(
      'failed_precondition',
      `refusing to delete ${paths.dir}: it does not hold a ccm cluster.json, so it is not a ccm cluster's directory (check --dir and --name)`,
    );
  }
  fs.rmSync(paths.dir, { recursive: true, force: true });
}

/** For `ccm up` of a new cluster: its directory must be new, empty, or already a cluster's. */
export function checkNewClusterDir(paths: ClusterPaths): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(paths.dir);
  } catch {
    return; // does not exist yet
  }
  if (entries.length > 0 && !isClusterDir(paths)) {
    throw new CcmError(
      'failed_precondition',
      `${paths.dir} exists and is not a ccm cluster's directory (no cluster.json; it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); pick another --name or --dir`,
    );
  }
}
