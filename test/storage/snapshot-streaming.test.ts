import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import { applyCommand } from '../../src/core/state-machine.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { encodeCursor, parseChunk, SNAPSHOT_START, type ChunkData, type SnapshotCursor } from '../../src/storage/snapshot-chunk.js';
import { SnapshotMovedError, SnapshotSource } from '../../src/storage/snapshot-source.js';
import { SnapshotStaging } from '../../src/storage/snapshot-staging.js';

const CONF = { voters: ['n1', 'n2', 'n3'], learners: [] };

/** A node's state database with the state machine applied to `index`. */
class Replica {
  readonly db: SqliteDatabase;
  readonly state: SqliteStateStore;
  readonly staging: SnapshotStaging;
  index = 0;

  constructor(readonly file: string) {
    this.db = openDatabase(file);
    this.state = new SqliteStateStore(this.db);
    this.staging = new SnapshotStaging(this.db);
    this.index = this.state.appliedIndex().index;
  }

  apply(...commands: Command[]): void {
    this.db.transaction(() => {
      for (const c of commands) applyCommand(this.state, c, ++this.index);
      this.state.setApplied(this.index, 2);
      this.state.setConfState(CONF);
    })();
  }

  close(): void {
    this.db.close();
  }
}

/** One chunk as it crosses the wire: its rows as JSON, its values as a blob. */
function overTheWire(source: SnapshotSource, from: SnapshotCursor, maxBytes: number): { data: ChunkData; next: SnapshotCursor | null; blob: Buffer } {
  const chunk = source.read(from, maxBytes);
  const rows: unknown = JSON.parse(JSON.stringify(chunk.rows));
  const blob = Buffer.from(chunk.blob);
  const data = parseChunk(rows, blob, from, chunk.next);
  if (typeof data === 'string') throw new Error(data);
  return { data, next: chunk.next, blob };
}

/** Streams from `source` into `to`'s staging, from where it stands, at most `maxChunks` chunks; returns how many. */
function stream(source: SnapshotSource, to: Replica, maxBytes: number, maxChunks = Infinity): number {
  let n = 0;
  for (let at = to.staging.progress()!.cursor; at !== null && n < maxChunks; at = to.staging.progress()!.cursor) {
    const { data, next, blob } = overTheWire(source, at, maxBytes);
    expect(to.staging.write(at, next, data, blob.length)).to.equal(true);
    n++;
  }
  return n;
}

function install(to: Replica, at: { index: number; term: number }): void {
  to.db.transaction(() => to.state.adoptSnapshot(to.staging.install(), at.index, at.term, CONF))();
}

function workload(): Command[] {
  const big = 'b'.repeat(300 * 1024);
  const commands: Command[] = [{ op: 'lease-grant', ttlMs: 10_000, owner: 'w1', atMs: 5, secretHash: 'ab'.repeat(32) /* must survive the snapshot: renewing asks for it */ }];
  // Keys whose UTF-8 byte order differs from their UTF-16 order: the stream must follow SQLite's order.
  for (const key of ['/a', '/b', '/é', '/\u{1F600}', '/Z', '/\uFFFD', '/k/1', '/k/2']) commands.push({ op: 'put', key, value: `${key}=v` });
  commands.push({ op: 'put', key: '/big', value: big }, { op: 'put', key: '/big', value: big + 'x' }, { op: 'put', key: '/leased', value: 'l', lease: 1 });
  commands.push({ op: 'delete', key: '/b' }, { op: 'acquire', resource: 'r', holder: 'h', ttlMs: 5000, wait: false, atMs: 6 });
  commands.push({ op: 'txn', compare: [], success: [{ op: 'put', key: '/t1', value: '1' }, { op: 'delete', key: '/k/', prefix: true }], failure: [] });
  for (let i = 0; i < 40; i++) commands.push({ op: 'put', key: `/many/${i}`, value: String(i).repeat(i) });
  return commands;
}

describe('snapshots streamed in chunks: storage (snapshot-source, snapshot-staging)', () => {
  let dir: string;
  const open: Replica[] = [];
  const replica = (name: string): Replica => {
    const r = new Replica(path.join(dir, `${name}.db`));
    open.push(r);
    return r;
  };
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-snap-'))));
  afterEach(() => {
    for (const r of open.splice(0)) if (r.db.open) r.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a snapshot streamed in small chunks reproduces the state exactly: keys, leases, watch history, counters', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const follower = replica('follower');
    follower.apply({ op: 'put', key: '/old', value: 'gone after the install' });
    const at = { index: leader.index, term: 2 };
    follower.staging.begin({ ...at, confState: CONF, leader: 'n1', offerTerm: 3 });
    const source = new SnapshotSource(leader.file, at);
    const chunks = stream(source, follower, 1024);
    source.close();
    expect(chunks).to.be.greaterThan(10);
    expect(follower.staging.progress()).to.include({ cursor: null, index: at.index, leader: 'n1', offerTerm: 3 });
    install(follower, at);
    expect(follower.state.dump()).to.deep.equal(leader.state.dump());
    expect(follower.state.appliedIndex()).to.deep.equal({ ...at, confState: CONF });
    expect(follower.state.historyBytes()).to.equal(leader.state.historyBytes());
    expect(follower.staging.progress()).to.equal(null);
  });

  it('chunks stay near their byte budget: one large value per chunk, never the whole snapshot', () => {
    const leader = replica('leader');
    for (let i = 0; i < 6; i++) leader.apply({ op: 'put', key: `/v${i}`, value: String(i).repeat(200 * 1024) });
    const source = new SnapshotSource(leader.file, { index: leader.index, term: 2 });
    const sizes: number[] = [];
    for (let at: SnapshotCursor | null = SNAPSHOT_START; at !== null; ) {
      const chunk = source.read(at, 100 * 1024);
      sizes.push(chunk.blob.length);
      at = chunk.next;
    }
    source.close();
    expect(Math.max(...sizes)).to.equal(200 * 1024); // a single value over the budget makes its own chunk
    expect(sizes.length).to.be.greaterThan(6);
  });

  it('the source reads the state as of its index while the node goes on writing', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const at = { index: leader.index, term: 2 };
    const before = leader.state.dump();
    const source = new SnapshotSource(leader.file, at);
    leader.apply({ op: 'put', key: '/a', value: 'changed' }, { op: 'delete', key: '/many/', prefix: true }, { op: 'compact', revision: 10 });
    const follower = replica('follower');
    follower.staging.begin({ ...at, confState: CONF, leader: 'n1', offerTerm: 3 });
    stream(source, follower, 2048);
    source.close();
    install(follower, at);
    expect(follower.state.dump()).to.deep.equal(before);
  });

  it('a source refuses a snapshot index the state is no longer at', () => {
    const leader = replica('leader');
    leader.apply({ op: 'put', key: '/a', value: '1' });
    expect(() => new SnapshotSource(leader.file, { index: leader.index - 1, term: 2 })).to.throw(SnapshotMovedError);
  });

  it('a transfer cut off midway resumes from the last chunk written, also after the receiver restarts', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const at = { index: leader.index, term: 2 };
    let follower = replica('follower');
    follower.staging.begin({ ...at, confState: CONF, leader: 'n1', offerTerm: 3 });
    const source = new SnapshotSource(leader.file, at);
    expect(stream(source, follower, 2048, 5)).to.equal(5);
    const cut = follower.staging.progress()!;
    expect(cut.chunks).to.equal(5);
    expect(cut.cursor).to.not.equal(null);
    // A chunk that does not start where the stream stands (sent before a resume) is not written.
    const stale = overTheWire(source, SNAPSHOT_START, 2048);
    expect(follower.staging.write(SNAPSHOT_START, stale.next, stale.data, stale.blob.length)).to.equal(false);
    follower.close(); // the receiver crashes...
    follower = replica('follower'); // ...and restarts: the position is durable with the rows
    expect(follower.staging.progress()).to.deep.equal(cut);
    stream(source, follower, 2048);
    source.close();
    install(follower, at);
    expect(follower.state.dump()).to.deep.equal(leader.state.dump());
  });

  it('the install is atomic: a crash inside its transaction leaves the old state and the staged rows; the retry installs', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const follower = replica('follower');
    follower.apply({ op: 'put', key: '/old', value: 'kept by the failed install' });
    const old = follower.state.dump();
    const at = { index: leader.index, term: 2 };
    follower.staging.begin({ ...at, confState: CONF, leader: 'n1', offerTerm: 3 });
    const source = new SnapshotSource(leader.file, at);
    stream(source, follower, 8192);
    source.close();
    expect(() =>
      follower.db.transaction(() => {
        follower.state.adoptSnapshot(follower.staging.install(), at.index, at.term, CONF);
        throw new Error('power cut');
      })(),
    ).to.throw('power cut');
    follower.close();
    const restarted = replica('follower');
    expect(restarted.state.dump()).to.deep.equal(old);
    expect(restarted.staging.progress()).to.include({ cursor: null, index: at.index });
    install(restarted, at);
    expect(restarted.state.dump()).to.deep.equal(leader.state.dump());
    // The replaced tables are trash, freed a batch at a time, then dropped.
    expect(restarted.staging.hasTrash()).to.equal(true);
    let batches = 0;
    while (restarted.staging.collectTrash(2)) batches++;
    expect(batches).to.be.greaterThan(0);
    expect(restarted.staging.hasTrash()).to.equal(false);
    expect(restarted.state.dump()).to.deep.equal(leader.state.dump());
  });

  it('a second snapshot installs over the first (index names do not collide), and begin() sets a half-staged one aside', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const follower = replica('follower');
    for (let round = 0; round < 3; round++) {
      leader.apply({ op: 'put', key: `/round/${round}`, value: 'r' });
      const at = { index: leader.index, term: 2 };
      follower.staging.begin({ ...at, confState: CONF, leader: 'n1', offerTerm: 3 });
      const source = new SnapshotSource(leader.file, at);
      if (round === 1) {
        stream(source, follower, 1024, 3); // abandoned halfway: the next begin() sets it aside
        follower.staging.begin({ ...at, confState: CONF, leader: 'n2', offerTerm: 4 });
      }
      stream(source, follower, 1024);
      source.close();
      install(follower, at);
      expect(follower.state.dump()).to.deep.equal(leader.state.dump());
    }
    while (follower.staging.collectTrash(64));
    const leftovers = follower.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'trash%' OR name LIKE 'staged%'").all();
    expect(leftovers).to.deep.equal([]);
    // The lease index survived the swaps, under a new name.
    const indexes = follower.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'kv' AND sql IS NOT NULL").all() as { name: string }[];
    expect(indexes.map((i) => i.name)).to.have.length(1);
    expect(indexes[0].name).to.match(/^kv_by_lease_g\d+$/);
  });

  it('refuses chunks that do not fit their cursors or their blob', () => {
    const leader = replica('leader');
    leader.apply(...workload());
    const source = new SnapshotSource(leader.file, { index: leader.index, term: 2 });
    const chunk = source.read(SNAPSHOT_START, 2048);
    source.close();
    const rows = JSON.parse(JSON.stringify(chunk.rows));
    expect(parseChunk(rows, chunk.blob, SNAPSHOT_START, chunk.next)).to.not.be.a('string');
    expect(parseChunk(rows, chunk.blob.subarray(1), SNAPSHOT_START, chunk.next)).to.match(/shorter|more than/);
    expect(parseChunk(rows, Buffer.concat([chunk.blob, Buffer.from('x')]), SNAPSHOT_START, chunk.next)).to.match(/more than the rows declare/);
    const swapped = JSON.parse(JSON.stringify(rows));
    [swapped.kv[0], swapped.kv[1]] = [swapped.kv[1], swapped.kv[0]];
    expect(parseChunk(swapped, chunk.blob, SNAPSHOT_START, chunk.next)).to.match(/out of order/);
    const first = rows.kv[0][0] as string;
    expect(parseChunk(rows, chunk.blob, { table: 'kv', after: first }, chunk.next)).to.match(/out of order/);
    expect(parseChunk({ ...rows, kv: [], leases: [], events: [] }, Buffer.alloc(0), SNAPSHOT_START, SNAPSHOT_START)).to.match(/no progress/);
    expect(parseChunk({ ...rows, kv: [[first, -5, 1, 1, 1, 0]] }, chunk.blob, SNAPSHOT_START, null)).to.match(/schema/);
    expect(encodeCursor(SNAPSHOT_START)).to.equal('["kv",null]');
  });
});
