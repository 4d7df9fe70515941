/**
 * A marker for a chaos run in progress (`<cluster dir>/chaos-run.json`), so that `ccm chaos status` in another
 * terminal says one is running, and a second `ccm chaos run` on the same cluster is refused.
 */
import { isPidAlive } from '../cluster/process-table.js';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterPaths } from '../cluster/cluster-dir.js';

export interface ChaosRunState {
  pid: number;
  workload: string;
  nemesis: string[];
  seed: number;
  startedAtMs: number;
}

function stateFile(paths: ClusterPaths): string {
  return path.join(paths.dir, 'chaos-run.json');
}


/** The run in progress, or null (none, or its process is gone). */
export function readChaosRunState(paths: ClusterPaths): ChaosRunState | null {
  try {
    const state = JSON.parse(fs.readFileSync(stateFile(paths), 'utf8')) as ChaosRunState;
    return typeof state.pid === 'number' && isPidAlive(state.pid) ? state : null;
  } catch {
    return null;
  }
}

export function writeChaosRunState(paths: ClusterPaths, state: ChaosRunState): void {
  fs.writeFileSync(stateFile(paths), JSON.stringify(state, null, 2) + '\n');
}

/** Removes the marker if it is this process's. */
export function clearChaosRunState(paths: ClusterPaths, pid = process.pid): void {
  try {
    const state = JSON.parse(fs.readFileSync(stateFile(paths), 'utf8')) as ChaosRunState;
    if (state.pid === pid) fs.rmSync(stateFile(paths), { force: true });
  } catch {
    // gone already
  }
}
