import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { CcmClient } from '../../src/client/ccm-client.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { openDatabase } from '../../src/storage/database.js';
import { SegmentRaftStorage } from '../../src/storage/segment-raft-storage.js';

const distSrc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/storage');

/**
 * A child process appends Readies (entries + hard state, durable) through SegmentRaftStorage over small segments
 * (rollovers and compaction happen), printing each index once persist() returned, i.e. acknowledged. It is killed
 * with SIGKILL mid-stream; the log reopened here must hold every acknowledged entry, intact.
 */
const CHILD = `
import { openDatabase } from '${distSrc}/database.js';
import { SegmentRaftStorage } from '${distSrc}/segment-raft-storage.js';
const [dataDir] = process.argv.slice(1);
const db = openDatabase(dataDir + '/state.db');
db.pragma('synchronous = NORMAL');
const conf = { voters: ['n1'], learners: [] };
const s = new SegmentRaftStorage(db, dataDir + '/raft-log', () => conf, () => ({ meta: { index: 0, term: 0, confState: conf }, data: '' }), { segmentBytes: 16 * 1024, firstSegmentBytes: 8 * 1024 });
let i = s.lastIndex();
for (;;) {
  const batch = [];
  for (let k = 0; k < 1 + (i % 7); k++) { i++; batch.push({ index: i, term: 1 + Math.floor(i / 500), kind: 'normal', data: 'e' + i + ':' + 'x'.repeat(i % 300) }); }
  db.transaction(() => {
    s.append(batch);
    s.setHardState({ term: batch[batch.length - 1].term, vote: 'n1', commit: i - 3 });
    s.persist(true);
    if (i - s.firstIndex() > 150) s.compact(i - 50);
  })();
  process.stdout.write('acked ' + i + '\\n');
}
`;

describe('segment Raft storage survives kill -9 (a real child process)', function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-crash-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const runAndKill = async (minAcked: number): Promise<number> => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l.startsWith('acked ')) acked = Number(l.slice(6));
        if (acked >= minAcked) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => (acked >= minAcked ? resolve() : reject(new Error(`child exited early: ${stderr}`))));
    });
    await new Promise((r) => child.once('close', r));
    return acked;
  };

  it('every acknowledged entry is there after each of two kills, across rollovers and compaction', async () => {
    let target = 0;
    for (let round = 0; round < 2; round++) {
      target += 250;
      const acked = await runAndKill(target);
      const db = openDatabase(path.join(dataDir, 'state.db'));
      const conf = { voters: ['n1'], learners: [] };
      const s = new SegmentRaftStorage(db, path.join(dataDir, 'raft-log'), () => conf, () => ({ meta: { index: 0, term: 0, confState: conf }, data: '' }), { segmentBytes: 16 * 1024 });
      try {
        expect(s.lastIndex(), `round ${round + 1}: acknowledged up to ${acked}`).to.be.at.least(acked);
        const from = s.firstIndex();
        const entries = s.entries(from, s.lastIndex() + 1);
        entries.forEach((e, k) => {
          expect(e.index).to.equal(from + k);
          expect(e.data.startsWith(`e${e.index}:`), `entry ${e.index} intact`).to.equal(true);
        });
        const seqs = s.segmentSeqs();
        expect(seqs[seqs.length - 1], 'rolled over').to.be.greaterThan(2);
        expect(seqs[0], 'compaction removed old segments').to.be.greaterThan(1);
        target = s.lastIndex();
      } finally {
        s.close();
        db.close();
      }
    }
  });
});

/** The segment store in a real cluster: kill -9 under writes, a restart, a catch-up from a snapshot. */
describe('a cluster with raftLogStore=segments (real processes)', function () {
  this.timeout(180_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => fx.cleanup());
  const serializableGet = (c: CcmClient, node: string, key: string) =>
    c.call<{ kvs: { value: string }[] }>('GET', '/v1/kv', undefined, { node, query: { key, serializable: true }, timeoutMs: 2000 });

  it('loses no acknowledged write when the leader is killed -9 mid-stream; a stopped voter catches up from a snapshot', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal', '--setting', 'raftLogStore=segments', '--setting', 'raftLogCompactThreshold=200', '--setting', 'raftLogTrailingEntries=20');
    const c = fx.client();
    await c.put('/base', '0');
    const leader = (await waitFor('a leader', async () => (await fx.json('core', 'status')).leader as string | null))!;
    const nodeDir = (id: string) => path.join(fx.home, fx.name, 'nodes', id);
    expect(fs.readdirSync(path.join(nodeDir(leader), 'raft-log')).some((n) => n.endsWith('.seg')), 'the log is in segment files').to.equal(true);

    // Writers run while the leader is killed -9; every write acknowledged must survive.
    const acked = new Map<string, string>();
    let killed = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 60; i++) {
        if (i === 20 && w === 0) {
          await fx.json('node', 'kill', leader);
          killed = true;
        }
        try {
          await c.put(`/w/${w}/${i}`, String(i));
          acked.set(`/w/${w}/${i}`, String(i));
        } catch {
          // unacknowledged: may or may not have happened
        }
      }
    });
    await Promise.all(writers);
    expect(killed).to.equal(true);
    await fx.json('node', 'start', leader);
    const lagger = ['n1', 'n2', 'n3'].find((n) => n !== leader)!;
    for (const node of ['n1', 'n2', 'n3']) {
      await waitFor(`${node} has every acknowledged write`, async () => {
        for (const [key, value] of acked) if ((await serializableGet(c, node, key)).kvs[0]?.value !== value) return false;
        return true;
      });
    }
    expect(acked.size).to.be.greaterThan(100);

    // A stopped voter misses more than the leader keeps: it gets a snapshot (a reset record in its log).
    await fx.json('node', 'stop', lagger);
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 40; i++) await c.put(`/snap/${w}/${i}`, String(i));
    }));
    await fx.json('node', 'start', lagger);
    await waitFor('catch-up from a snapshot', async () => (await serializableGet(c, lagger, '/snap/7/39')).kvs[0]?.value === '39');
    expect((await fx.ccm('logs', lagger, '-n', '500')).stdout).to.include('raft-snapshot-restored');
    // ...and comes back after one more kill -9 with its log (reset and all) intact.
    await fx.json('node', 'kill', lagger);
    await fx.json('node', 'start', lagger);
    await c.put('/after', 'yes');
    await waitFor('the restarted voter applies new writes', async () => (await serializableGet(c, lagger, '/after')).kvs[0]?.value === 'yes');
  });
});
