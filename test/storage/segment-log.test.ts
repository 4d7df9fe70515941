import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { CorruptLogError, RECORD_HEADER_BYTES, SegmentLog, crc32, crc32Portable, type RecordLocation, type SegmentLogOptions } from '../../src/storage/segment-log.js';

const SEG = 8192;

describe('segment log (real files)', () => {
  let dir: string;
  beforeEach(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-seg-')), 'log')));
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  const open = (opts: SegmentLogOptions = {}) => {
    const seen: { text: string; at: RecordLocation }[] = [];
    const { log, report } = SegmentLog.open(dir, { segmentBytes: SEG, firstSegmentBytes: SEG, backgroundSpare: false, ...opts }, (body, at) => {
      seen.push({ text: body.toString(), at });
      return 'keep';
    });
    return { log, report, seen, texts: () => seen.map((s) => s.text) };
  };
  const rec = (s: string) => Buffer.from(s);
  const segFile = (seq: number) => path.join(dir, `${seq.toString(16).padStart(16, '0')}.seg`);

  it('CRC-32 is zlib\'s: the check value, and the portable table agrees with node:zlib where it has one', () => {
    expect(crc32(Buffer.from('123456789'))).to.equal(0xcbf43926);
    expect(crc32Portable(Buffer.from('123456789'))).to.equal(0xcbf43926);
    const z = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    if (z) expect(crc32Portable(data)).to.equal(z(data) >>> 0);
  });

  it('appends, reads back, and replays every record in order after a reopen; the files are preallocated', () => {
    const a = open();
    const at = ['one', 'two', 'three'].map((s) => a.log.append(rec(s)));
    a.log.flush(true);
    expect(a.log.read(at[1]).toString()).to.equal('two');
    a.log.close();
    expect(fs.statSync(segFile(1)).size, 'zero-filled to its full size').to.equal(SEG);
    const b = open();
    expect(b.texts()).to.deep.equal(['one', 'two', 'three']);
    expect(b.report).to.include({ records: 3, tornTail: false, truncatedAt: null });
    b.log.append(rec('four'));
    b.log.close();
    expect(open().texts()).to.deep.equal(['one', 'two', 'three', 'four']);
  });

  it('a read of a record not yet flushed writes the batch first', () => {
    const a = open();
    const at = a.log.append(rec('queued'));
    expect(a.log.read(at).toString()).to.equal('queued');
  });

  it('rolls over to a new segment when a record does not fit, each starting with the preamble; old segments stay readable', () => {
    const a = open({ preamble: () => [rec('preamble')] });
    const body = 'x'.repeat(1000);
    const at: RecordLocation[] = [];
    for (let i = 0; i < 20; i++) at.push(a.log.append(rec(`${i}:${body}`)));
    a.log.flush(true);
    expect(a.log.segmentSeqs().length).to.be.greaterThan(2);
    expect(a.log.read(at[0]).toString().startsWith('0:')).to.equal(true);
    a.log.close();
    const b = open();
    const texts = b.texts();
    expect(texts.filter((t) => t === 'preamble').length, 'one per segment after the first').to.equal(b.log.segmentSeqs().length);
    expect(texts.filter((t) => t !== 'preamble').map((t) => Number(t.split(':')[0]))).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a crash while a new segment is zero-filled (before its first byte) leaves a log that opens with every record', () => {
    const a = open();
    for (let i = 0; i < 3; i++) a.log.append(rec(`r${i}:${'x'.repeat(1000)}`));
    a.log.flush(true);
    // The process "dies" as the next segment's fill begins: its first write never happens.
    const realWrite = fs.writeSync;
    (fs as { writeSync: unknown }).writeSync = (fd: number, buf: Buffer, ...rest: unknown[]) => {
      if (buf.length > 0 && buf.every((b) => b === 0) && buf.length >= SEG / 2) throw new Error('killed during the fill');
      return (realWrite as (...args: unknown[]) => number)(fd, buf, ...rest);
    };
    try {
      expect(() => {
        for (let i = 3; i < 20; i++) a.log.append(rec(`r${i}:${'x'.repeat(1000)}`));
      }).to.throw('killed during the fill');
    } finally {
      (fs as { writeSync: unknown }).writeSync = realWrite;
    }
    const b = open();
    expect(b.texts().slice(0, 3).map((t) => t.split(':')[0])).to.deep.equal(['r0', 'r1', 'r2']);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), 'the unfinished fill is gone').to.deep.equal([]);
  });

  it('prepares the next segment in the background once the current one is half full; the rollover takes it', async () => {
    const a = open({ backgroundSpare: true });
    for (let i = 0; i < 5; i++) a.log.append(Buffer.alloc(1000, 2));
    a.log.flush(true);
    await a.log.idle();
    expect(a.log.hasSpareReady()).to.equal(true);
    expect(fs.statSync(path.join(dir, 'spare.seg')).size).to.equal(SEG);
    for (let i = 0; i < 5; i++) a.log.append(Buffer.alloc(1000, 3));
    a.log.flush(true);
    expect(a.log.segmentSeqs()).to.deep.equal([1, 2]);
    expect(fs.existsSync(path.join(dir, 'spare.seg')), 'renamed into place').to.equal(false);
    await a.log.idle();
    a.log.close();
    expect(open().seen.length).to.equal(10);
  });

  it('refuses a record larger than a segment', () => {
    const a = open();
    expect(() => a.log.append(Buffer.alloc(SEG))).to.throw(/does not fit in a segment/);
  });

  it('removes whole old segments, never the one being written', () => {
    const a = open();
    for (let i = 0; i < 30; i++) a.log.append(Buffer.alloc(1000, 1));
    a.log.flush(true);
    const seqs = a.log.segmentSeqs();
    expect(a.log.removeSegmentsBefore(seqs[seqs.length - 1] + 10)).to.equal(seqs.length - 1);
    expect(a.log.segmentSeqs()).to.deep.equal([seqs[seqs.length - 1]]);
    expect(fs.existsSync(segFile(seqs[0]))).to.equal(false);
    a.log.close();
    expect(open().log.segmentSeqs()).to.deep.equal([seqs[seqs.length - 1]]);
  });

  it('a torn write at the tail (a zero sector inside the last record) ends the log there; the rest is zeroed and new records follow', () => {
    const a = open();
    a.log.append(rec('kept'));
    const torn = a.log.append(Buffer.alloc(2000, 7));
    a.log.append(rec('after the torn one, same batch'));
    a.log.flush(true);
    a.log.close();
    // The disk kept the first and last sectors of the batch, not one in the middle of the big record.
    const fd = fs.openSync(segFile(1), 'r+');
    const sector = Math.ceil((torn.offset + RECORD_HEADER_BYTES) / 512) * 512;
    fs.writeSync(fd, Buffer.alloc(512), 0, 512, sector);
    fs.closeSync(fd);
    const b = open();
    expect(b.texts()).to.deep.equal(['kept']);
    expect(b.report.tornTail).to.equal(true);
    expect(b.report.truncatedAt).to.deep.equal(torn);
    const bytes = fs.readFileSync(segFile(1));
    expect(bytes.subarray(torn.offset).every((x) => x === 0), 'everything after the end is zero').to.equal(true);
    b.log.append(rec('new'));
    b.log.close();
    expect(open().texts()).to.deep.equal(['kept', 'new']);
  });

  it('refuses a checksum mismatch in the middle (no torn sector), and changes nothing', () => {
    const a = open();
    const at = a.log.append(rec('will be damaged'));
    a.log.append(rec('a later record'));
    a.log.close();
    const fd = fs.openSync(segFile(1), 'r+');
    fs.writeSync(fd, Buffer.from('W'), 0, 1, at.offset + RECORD_HEADER_BYTES + 2);
    fs.closeSync(fd);
    const before = fs.readFileSync(segFile(1));
    expect(() => open()).to.throw(CorruptLogError, /checksum mismatch .* not a torn write/);
    expect(fs.readFileSync(segFile(1)).equals(before), 'the file is untouched').to.equal(true);
  });

  it('refuses a torn-looking record in an older segment: only the last segment has a tail', () => {
    const a = open();
    const first = a.log.append(Buffer.alloc(3000, 5));
    for (let i = 0; i < 10; i++) a.log.append(Buffer.alloc(1000, 6));
    a.log.close();
    expect(a.log.segmentSeqs().length).to.be.greaterThan(1);
    const fd = fs.openSync(segFile(1), 'r+');
    fs.writeSync(fd, Buffer.alloc(512), 0, 512, 1024);
    fs.closeSync(fd);
    expect(first.segment).to.equal(1);
    expect(() => open()).to.throw(CorruptLogError, /segment 1 of/);
  });

  it('a record length beyond its segment is corruption (refused), not an allocation, on open and on read', () => {
    const a = open();
    const at = a.log.append(rec('x'));
    a.log.append(rec('y'));
    a.log.flush(true);
    const fd = fs.openSync(segFile(1), 'r+');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(0x7fffffff, 0);
    fs.writeSync(fd, header, 0, 4, at.offset);
    fs.closeSync(fd);
    expect(() => a.log.read(at)).to.throw(CorruptLogError, /runs past the end of its segment/);
    a.log.close();
    expect(() => open()).to.throw(CorruptLogError, /record length 2147483647 .* runs past the end/);
  });

  it('a visitor can end the log before a record: it and everything after it (later segments too) are gone', () => {
    const a = open();
    for (let i = 0; i < 20; i++) a.log.append(rec(`${i}:${'z'.repeat(900)}`));
    a.log.close();
    const segments = a.log.segmentSeqs().length;
    expect(segments).to.be.greaterThan(2);
    const { log, report } = SegmentLog.open(dir, { segmentBytes: SEG, backgroundSpare: false }, (body) => (body.toString().startsWith('5:') ? 'truncate' : 'keep'));
    expect(report.truncatedAt).to.not.equal(null);
    expect(log.segmentSeqs().length).to.be.lessThan(segments);
    log.close();
    expect(open().texts().map((t) => Number(t.split(':')[0]))).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('refuses a missing segment in the middle of the sequence', () => {
    const a = open();
    for (let i = 0; i < 30; i++) a.log.append(Buffer.alloc(1000, 1));
    a.log.close();
    fs.rmSync(segFile(2));
    expect(() => open()).to.throw(CorruptLogError, /is missing/);
  });
});
