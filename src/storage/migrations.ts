/**
 * The node database's schema, as numbered migrations applied in order inside one transaction each.
 * Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'node-identity',
    sql: `
      CREATE TABLE node_identity (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        node_id TEXT NOT NULL,
        cluster TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        start_count INTEGER NOT NULL,
        last_start_ms INTEGER NOT NULL
      );
    `,
  },
];
