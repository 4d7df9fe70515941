import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../client/api-errors.js';

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
