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
  {
    version: 2,
    name: 'raft-log',
    sql: `
      -- The Raft log after the compaction point, and the state that must be durable before a vote or an ack.
      CREATE TABLE raft_log (
        idx INTEGER PRIMARY KEY,
        term INTEGER NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE raft_state (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        term INTEGER NOT NULL,
        vote TEXT,
        commit_index INTEGER NOT NULL,
        -- the compaction point: the last entry no longer in raft_log, and its term
        snapshot_index INTEGER NOT NULL,
        snapshot_term INTEGER NOT NULL
      );
      INSERT INTO raft_state VALUES (1, 0, NULL, 0, 0, 0);
      -- written once and emptied, to grow the WAL to its working size (see preallocateWal)
      CREATE TABLE wal_scratch (b BLOB);
    `,
  },
  {
    version: 3,
    name: 'applied-state',
    sql: `
      -- The replicated state machine, applied in the same transaction as the log it comes from.
      CREATE TABLE applied (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        applied_index INTEGER NOT NULL,
        applied_term INTEGER NOT NULL,
        -- the configuration as of applied_index (JSON {voters, learners})
        conf_state TEXT NOT NULL,
        revision INTEGER NOT NULL,
        compact_revision INTEGER NOT NULL
      );
      INSERT INTO applied VALUES (1, 0, 0, '{"voters":[],"learners":[]}', 0, 0);
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        create_revision INTEGER NOT NULL,
        mod_revision INTEGER NOT NULL,
        version INTEGER NOT NULL,
        lease INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX kv_by_lease ON kv (lease) WHERE lease != 0;
      -- Every change by revision (one revision per command; sub orders the changes within it), for watches.
      CREATE TABLE kv_events (
        revision INTEGER NOT NULL,
        sub INTEGER NOT NULL,
        type TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT,
        create_revision INTEGER NOT NULL,
        mod_revision INTEGER NOT NULL,
        version INTEGER NOT NULL,
        lease INTEGER NOT NULL,
        prev_value TEXT,
        PRIMARY KEY (revision, sub)
      ) WITHOUT ROWID;
      CREATE TABLE leases (
        id INTEGER PRIMARY KEY,
        ttl_ms INTEGER NOT NULL,
        granted_revision INTEGER NOT NULL,
        granted_at_ms INTEGER NOT NULL,
        renewed_at_ms INTEGER NOT NULL,
        renewals INTEGER NOT NULL,
        -- who asked for it (lease manager holder, registry instance, election candidate), for display
        owner TEXT NOT NULL DEFAULT ''
      );
    `,
  },
  {
    version: 4,
    name: 'gossip-tags-and-health-checks',
    sql: `
      -- The node's own gossip tags (ccm gossip set), so a restarted node publishes them again.
      CREATE TABLE gossip_tags (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      -- User health checks (ccm health check add): kind is http, tcp or command; target the URL, host:port or command.
      CREATE TABLE health_checks (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('http', 'tcp', 'command')),
        target TEXT NOT NULL,
        interval_ms INTEGER NOT NULL CHECK (interval_ms > 0),
        timeout_ms INTEGER NOT NULL CHECK (timeout_ms > 0 AND timeout_ms < interval_ms),
        created_at_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'snapshot-staging',
    sql: `
      -- A snapshot being received from the leader (storage/snapshot-staging.ts): its rows go into staged_* tables,
      -- created from the live tables' own definitions; this row says which snapshot they belong to and where the
      -- stream stands, written in the same transaction as each chunk's rows (a resumed transfer starts there).
      CREATE TABLE snapshot_staging (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        snapshot_index INTEGER NOT NULL,
        snapshot_term INTEGER NOT NULL,
        -- the configuration as of snapshot_index (JSON {voters, learners})
        conf_state TEXT NOT NULL,
        -- who offered it, and the term of the offer (to step it into Raft once every row is here)
        leader TEXT NOT NULL,
        offer_term INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        compact_revision INTEGER NOT NULL,
        -- where the next chunk starts (storage/snapshot-chunk.ts); NULL once the last chunk is in
        cursor TEXT,
        bytes INTEGER NOT NULL,
        chunks INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'lease-secret-hash',
    sql: `
      -- SHA-256 (hex) of the secret a grant returned to its holder: renewing or ending the lease needs the secret.
      -- Empty for leases granted before secrets existed (nothing is asked of them).
      ALTER TABLE leases ADD COLUMN secret_hash TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 7,
    name: 'kv-events-by-key',
    sql: `
      -- A key's history: reads at a past revision and a watch's prev_kv (etcd API) look up a key's last event at or
      -- before a revision; compaction keeps each key's last put below the compaction point.
      CREATE INDEX kv_events_by_key ON kv_events (key, revision);
    `,
  },
];
