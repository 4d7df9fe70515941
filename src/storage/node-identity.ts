import type { SqliteDatabase } from './database.js';

export interface NodeIdentity {
  nodeId: string;
  cluster: string;
  createdAtMs: number;
  /** How many times this node's process has started on this data dir (1 on the first start). */
  startCount: number;
  lastStartMs: number;
}

interface IdentityRow {
  node_id: string;
  cluster: string;
  created_at_ms: number;
  start_count: number;
  last_start_ms: number;
}

/**
 * Records a process start in the node's database and returns who the database belongs to.
 * Refuses a data dir that belongs to another node or cluster: starting on the wrong state would corrupt both.
 */
export function recordStart(db: SqliteDatabase, nodeId: string, cluster: string, nowMs: number): NodeIdentity {
  return db.transaction((): NodeIdentity => {
    const row = db.prepare('SELECT * FROM node_identity WHERE singleton = 1').get() as IdentityRow | undefined;
    if (!row) {
      db.prepare(
        'INSERT INTO node_identity (singleton, node_id, cluster, created_at_ms, start_count, last_start_ms) VALUES (1, ?, ?, ?, 1, ?)',
      ).run(nodeId, cluster, nowMs, nowMs);
      return { nodeId, cluster, createdAtMs: nowMs, startCount: 1, lastStartMs: nowMs };
    }
    if (row.node_id !== nodeId || row.cluster !== cluster) {
      throw new Error(`data dir belongs to node ${row.node_id} of cluster ${row.cluster}, not ${nodeId} of ${cluster}`);
    }
    db.prepare('UPDATE node_identity SET start_count = start_count + 1, last_start_ms = ? WHERE singleton = 1').run(nowMs);
    return { nodeId, cluster, createdAtMs: row.created_at_ms, startCount: row.start_count + 1, lastStartMs: nowMs };
  })();
}
