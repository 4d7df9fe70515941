import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
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
