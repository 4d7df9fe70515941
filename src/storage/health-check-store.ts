import type { SqliteDatabase } from './database.js';

/** A user health check as stored (migration 4): the node runs it every intervalMs and gives up on a run after timeoutMs. */
export interface StoredHealthCheck {
  name: string;
  kind: 'http' | 'tcp' | 'command';
  /** URL, host:port, or a command line for /bin/sh -c. */
  target: string;
  intervalMs: number;
  timeoutMs: number;
  createdAtMs: number;
}

interface Row {
  name: string;
  kind: StoredHealthCheck['kind'];
  target: string;
  interval_ms: number;
  timeout_ms: number;
  created_at_ms: number;
}

export function listHealthChecks(db: SqliteDatabase): StoredHealthCheck[] {
  const rows = db.prepare('SELECT * FROM health_checks ORDER BY name').all() as Row[];
  return rows.map((r) => ({ name: r.name, kind: r.kind, target: r.target, intervalMs: r.interval_ms, timeoutMs: r.timeout_ms, createdAtMs: r.created_at_ms }));
}

/** Adds a check, or replaces the one with the same name. */
export function putHealthCheck(db: SqliteDatabase, check: StoredHealthCheck): void {
  db.prepare(
    `INSERT INTO health_checks (name, kind, target, interval_ms, timeout_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, target = excluded.target, interval_ms = excluded.interval_ms,
       timeout_ms = excluded.timeout_ms, created_at_ms = excluded.created_at_ms`,
  ).run(check.name, check.kind, check.target, check.intervalMs, check.timeoutMs, check.createdAtMs);
}

/** Removes a check; returns whether there was one. */
export function deleteHealthCheck(db: SqliteDatabase, name: string): boolean {
  return db.prepare('DELETE FROM health_checks WHERE name = ?').run(name).changes > 0;
}
