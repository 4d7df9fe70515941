import type { SqliteDatabase } from './database.js';

/** The node's own gossip tags, as last set (`ccm gossip set`); loaded at start so a restart publishes them again. */
export function loadNodeTags(db: SqliteDatabase): Record<string, string> {
  const rows = db.prepare('SELECT key, value FROM gossip_tags ORDER BY key').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Replaces the stored tags with `tags`, in one transaction. */
export function saveNodeTags(db: SqliteDatabase, tags: Record<string, string>): void {
  const insert = db.prepare('INSERT INTO gossip_tags (key, value) VALUES (?, ?)');
  db.transaction(() => {
    db.prepare('DELETE FROM gossip_tags').run();
    for (const [k, v] of Object.entries(tags)) insert.run(k, v);
  })();
}
