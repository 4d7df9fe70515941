/**
 * An append-only log of checksummed records in preallocated segment files, as etcd's WAL: records are buffered,
 * written with one write() and made durable with one fdatasync per batch; a full segment rolls over to the next.
 * What a record means is the caller's business (segment-raft-storage.ts): this file knows files, frames and damage.
 *
 * Frame: u32 LE body length, u32 LE CRC-32 of the body, then the body. Files are zero-filled before use, so the end of
 * the written part is a zero header, and a write that a crash left half done shows as zeros inside a record.
 *
 * On open every segment is scanned. A bad record in the last segment that holds a zero-filled sector (a torn write:
 * part of its batch never reached the disk, so nothing in that batch was acknowledged) ends the log: it and
 * everything after it are zeroed. Any other bad record (a CRC mismatch with no torn sector, a length beyond its
 * segment, damage in an older segment) is corruption, refused with an error naming the file and offset.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

/** etcd's segment size: a rollover (and its directory sync) once per 64 MiB of log. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * The first segment of a new log is this small: it is written full of zeros synchronously at start-up, and most
 * logs (tests, small clusters) never fill it. Later segments are prepared in the background at full size.
 */
export const FIRST_SEGMENT_BYTES = 4 * 1024 * 1024;
/** A segment file larger than this is not one we wrote: refused rather than read into memory. */
const MAX_SEGMENT_FILE_BYTES = 1024 * 1024 * 1024;
export const RECORD_HEADER_BYTES = 8;
/** The unit a disk persists atomically; a torn write leaves whole sectors unwritten (zero). */
const SECTOR_BYTES = 512;
const ZERO_FILL_CHUNK_BYTES = 1024 * 1024;
/** Room for a segment's preamble records beside the record that started it. */
const PREAMBLE_ROOM_BYTES = 64 * 1024;
const SEGMENT_SUFFIX = '.seg';
const SPARE_NAME = 'spare.seg';
const SPARE_TEMP_NAME = 'spare.tmp';
/** A segment being zero-filled: renamed to its sequence name only once complete, so a crash never leaves a short segment. */
const SEGMENT_TEMP_NAME = 'segment.tmp';

/** Where a record is: its segment's sequence number and the offset of its header in that file. */
export interface RecordLocation {
  segment: number;
  offset: number;
}

export class CorruptLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptLogError';
  }
}

export interface SegmentLogOptions {
  /** Size of each segment after the first (default 64 MiB). */
  segmentBytes?: number;
  /** Size of a new log's first segment (default min(4 MiB, segmentBytes)). */
  firstSegmentBytes?: number;
  /** Records written at the start of every new segment (e.g. the current hard state), so no segment depends on an older one for them. */
  preamble?: () => Buffer[];
  /** Zero-fill the next segment on the thread pool once the current one is half full (default true). */
  backgroundSpare?: boolean;
  /** A background preparation of the next segment failed (the next rollover then prepares it synchronously). */
  onBackgroundError?: (err: Error) => void;
}

/**
 * What a visitor of the scan answers for each record: 'keep' goes on; 'truncate' ends the log just before this
 * record (it and everything after it are discarded, as if never written).
 */
export type ScanVerdict = 'keep' | 'truncate';

export interface ScanReport {
  segments: number;
  records: number;
  /** Where a torn tail or a truncation ended the log, if one did. */
  truncatedAt: RecordLocation | null;
  tornTail: boolean;
}

interface Segment {
  seq: number;
  fd: number;
  /** The file's size: how much this segment can hold. */
  capacity: number;
}

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, zlib's): node:zlib's native one where this Node.js has it (20.15+), a table-driven one otherwise. */
export function crc32(data: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  return crc32Portable(data);
}

export function crc32Portable(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const segmentName = (seq: number): string => `${seq.toString(16).padStart(16, '0')}${SEGMENT_SUFFIX}`;

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `size` zero bytes to `file` and syncs it: every later write into it changes data only, not the file's size
 * or extents. Filled under a temporary name and renamed when complete (the caller syncs the directory), as etcd's
 * WAL makes its files: a kill during the fill leaves only the temporary file, which the next open removes.
 */
function createZeroFilledSync(file: string, size: number): void {
  const tmp = path.join(path.dirname(file), SEGMENT_TEMP_NAME);
  const fd = fs.openSync(tmp, 'w');
  try {
    const zeros = Buffer.alloc(Math.min(ZERO_FILL_CHUNK_BYTES, size));
    for (let off = 0; off < size; off += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - off), off);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(file)) throw new Error(`segment ${file} already exists`);
  fs.renameSync(tmp, file);
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new CorruptLogError(`unexpected end of file reading ${buf.length} bytes at ${position}`);
    done += n;
  }
}

/** Whether some sector of [start, end) (each sector clipped to the range) is all zeros: the mark of a torn write (etcd's isTornEntry). */
export function hasZeroSector(buf: Buffer, start: number, end: number): boolean {
  let from = start;
  while (from < end) {
    const to = Math.min(end, (Math.floor(from / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    let isZero = true;
    for (let i = from; i < to; i++) {
      if (buf[i] !== 0) {
        isZero = false;
        break;
      }
    }
    if (isZero) return true;
    from = to;
  }
  return false;
}

/** The offset just past the last non-zero byte in buf[from..], or `from` if there is none. */
function endOfNonZero(buf: Buffer, from: number): number {
  for (let i = buf.length - 1; i >= from; i--) if (buf[i] !== 0) return i + 1;
  return from;
}

export class SegmentLog {
  private readonly segments: Segment[] = [];
  /** Where the next record goes in the last segment. */
  private writeOffset = 0;
  /** Records appended but not yet written, starting at pendingStart in the last segment. */
  private pending: Buffer[] = [];
  private pendingStart = 0;
  /** Written to the last segment since its last fdatasync. */
  private isUnsynced = false;
  private spare: 'none' | 'preparing' | 'ready' = 'none';
  private spareWork: Promise<void> | null = null;
  private isClosed = false;
  private readonly segmentBytes: number;
  private readonly preamble: () => Buffer[];

  private constructor(
    readonly dir: string,
    private readonly opts: SegmentLogOptions,
  ) {
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.preamble = opts.preamble ?? (() => []);
  }

  /**
   * Opens (creating if needed) the log in `dir`, calling `visit` with every intact record in order. A torn tail is
   * cut off; corruption anywhere else throws CorruptLogError and changes nothing.
   */
  static open(dir: string, opts: SegmentLogOptions, visit: (body: Buffer, at: RecordLocation) => ScanVerdict): { log: SegmentLog; report: ScanReport } {
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 4096 || segmentBytes > MAX_SEGMENT_FILE_BYTES) throw new Error(`segment size ${segmentBytes} is out of range (4 KiB to 1 GiB)`);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      fsyncDirectory(path.dirname(dir));
    }
    const log = new SegmentLog(dir, opts);
    const report: ScanReport = { segments: 0, records: 0, truncatedAt: null, tornTail: false };
    fs.rmSync(path.join(dir, SPARE_TEMP_NAME), { force: true });
    fs.rmSync(path.join(dir, SEGMENT_TEMP_NAME), { force: true });
    const seqs = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX) && n !== SPARE_NAME)
      .map((n) => {
        const stem = n.slice(0, -SEGMENT_SUFFIX.length);
        if (!/^[0-9a-f]{16}$/.test(stem)) throw new CorruptLogError(`unexpected file ${n} in the log directory ${dir}`);
        return Number.parseInt(stem, 16);
      })
      .sort((a, b) => a - b);
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i] !== seqs[i - 1] + 1) throw new CorruptLogError(`segment ${segmentName(seqs[i - 1] + 1)} is missing from ${dir} (have ${seqs.map(segmentName).join(', ')})`);
    }
    // Scan first, change nothing until the whole log is known good.
    let end: { index: number; offset: number } | null = null;
    const contents: Buffer[] = [];
    for (let i = 0; i < seqs.length && end === null; i++) {
      const file = path.join(dir, segmentName(seqs[i]));
      const size = fs.statSync(file).size;
      if (size > MAX_SEGMENT_FILE_BYTES || size < RECORD_HEADER_BYTES) throw new CorruptLogError(`${file} is ${size} bytes: not a segment of this log`);
      const buf = fs.readFileSync(file);
      contents.push(buf);
      const isLast = i === seqs.length - 1;
      let off = 0;
      while (off + RECORD_HEADER_BYTES <= buf.length) {
        const len = buf.readUInt32LE(off);
        const crc = buf.readUInt32LE(off + 4);
        if (len === 0 && crc === 0) break; // the zero-filled rest of the segment
        const where = `${file} at offset ${off}`;
        if (len > buf.length - RECORD_HEADER_BYTES - off) throw new CorruptLogError(`record length ${len} at ${where} runs past the end of its segment: the log is corrupt`);
        const body = buf.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + len);
        if (len === 0 || crc32(body) !== crc) {
          if (isLast && hasZeroSector(buf, off, off + RECORD_HEADER_BYTES + len)) {
            report.tornTail = true;
            end = { index: i, offset: off };
            report.truncatedAt = { segment: seqs[i], offset: off };
            break;
          }
          throw new CorruptLogError(`checksum mismatch at ${where}${isLast ? '' : ` (segment ${i + 1} of ${seqs.length})`}, not a torn write at the tail: the log is corrupt`);
        }
        if (visit(body, { segment: seqs[i], offset: off }) === 'truncate') {
          end = { index: i, offset: off };
          report.truncatedAt = { segment: seqs[i], offset: off };
          break;
        }
        report.records++;
        off += RECORD_HEADER_BYTES + len;
      }
      if (isLast && end === null) end = { index: i, offset: off };
    }
    report.segments = seqs.length;
    if (end === null) {
      log.createFirstSegment(opts.firstSegmentBytes ?? Math.min(FIRST_SEGMENT_BYTES, segmentBytes));
      return { log, report };
    }
    // Anything after the end: later segments go, the rest of the last one is zeroed (so no stale record there can
    // ever be read as new), synced before the first new write.
    for (let i = end.index + 1; i < seqs.length; i++) fs.rmSync(path.join(dir, segmentName(seqs[i])));
    if (end.index + 1 < seqs.length) fsyncDirectory(dir);
    for (let i = 0; i <= end.index; i++) {
      const file = path.join(dir, segmentName(seqs[i]));
      log.segments.push({ seq: seqs[i], fd: fs.openSync(file, i === end.index ? 'r+' : 'r'), capacity: contents[i].length });
    }
    const dirtyEnd = endOfNonZero(contents[end.index], end.offset);
    if (dirtyEnd > end.offset) {
      const fd = log.last().fd;
      writeFully(fd, Buffer.alloc(dirtyEnd - end.offset), end.offset);
      fs.fdatasyncSync(fd);
    }
    log.writeOffset = end.offset;
    log.pendingStart = end.offset;
    return { log, report };
  }

  private last(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private createFirstSegment(size: number): void {
    const file = path.join(this.dir, segmentName(1));
    createZeroFilledSync(file, size);
    fsyncDirectory(this.dir);
    this.segments.push({ seq: 1, fd: fs.openSync(file, 'r+'), capacity: size });
    this.writeOffset = 0;
    this.pendingStart = 0;
    for (const r of this.preamble()) this.append(r);
  }

  /** Sequence numbers of the live segments, oldest first. */
  segmentSeqs(): number[] {
    return this.segments.map((s) => s.seq);
  }

  currentSegment(): number {
    return this.last().seq;
  }

  /** Largest record body a segment can take. */
  maxRecordBytes(): number {
    return this.segmentBytes - RECORD_HEADER_BYTES;
  }

  /** Queues a record (written by the next flush); a record that does not fit the current segment starts the next one. */
  append(body: Buffer): RecordLocation {
    if (this.isClosed) throw new Error('the log is closed');
    const size = RECORD_HEADER_BYTES + body.length;
    if (body.length > this.maxRecordBytes()) throw new Error(`a record of ${body.length} bytes does not fit in a segment of ${this.segmentBytes} bytes`);
    if (this.writeOffset + size > this.last().capacity) this.rollover(size);
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(crc32(body), 4);
    this.pending.push(header, body);
    const at = { segment: this.last().seq, offset: this.writeOffset };
    this.writeOffset += size;
    if (this.spare === 'none' && this.opts.backgroundSpare !== false && this.writeOffset > this.last().capacity / 2) this.prepareSpare();
    return at;
  }

  /** Writes the queued records with one write(); with `sync`, then one fdatasync. */
  flush(sync: boolean): void {
    if (this.pending.length > 0) {
      const buf = this.pending.length === 2 ? Buffer.concat(this.pending, this.pending[0].length + this.pending[1].length) : Buffer.concat(this.pending);
      writeFully(this.last().fd, buf, this.pendingStart);
      this.pending = [];
      this.pendingStart = this.writeOffset;
      this.isUnsynced = true;
    }
    if (sync && this.isUnsynced) {
      fs.fdatasyncSync(this.last().fd);
      this.isUnsynced = false;
    }
  }

  /** Reads back the body of the record at `at`, checked (length bound and CRC) as on open. */
  read(at: RecordLocation): Buffer {
    if (this.pending.length > 0 && at.segment === this.last().seq && at.offset >= this.pendingStart) this.flush(false);
    const seg = this.segments.find((s) => s.seq === at.segment);
    if (!seg) throw new Error(`segment ${at.segment} is not in the log`);
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    readFully(seg.fd, header, at.offset);
    const len = header.readUInt32LE(0);
    if (len > seg.capacity - RECORD_HEADER_BYTES - at.offset) throw new CorruptLogError(`record length ${len} at ${segmentName(at.segment)} offset ${at.offset} runs past the end of its segment`);
    const body = Buffer.allocUnsafe(len);
    readFully(seg.fd, body, at.offset + RECORD_HEADER_BYTES);
    if (crc32(body) !== header.readUInt32LE(4)) throw new CorruptLogError(`checksum mismatch reading ${segmentName(at.segment)} at offset ${at.offset}`);
    return body;
  }

  /** Deletes the segments older than `seq` (never the one being written). The caller knows nothing in them is needed. */
  removeSegmentsBefore(seq: number): number {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[0].seq < seq) {
      const seg = this.segments.shift()!;
      fs.closeSync(seg.fd);
      fs.rmSync(path.join(this.dir, segmentName(seg.seq)));
      removed++;
    }
    if (removed > 0) fsyncDirectory(this.dir);
    return removed;
  }

  /**
   * Ends the current segment (written and synced) and starts the next: the spare if it is ready, else a new
   * zero-filled file only as large as needed (at least 4 MiB), so the event loop never waits for 64 MiB of zeros.
   */
  private rollover(needed: number): void {
    this.flush(true);
    const seq = this.last().seq + 1;
    const file = path.join(this.dir, segmentName(seq));
    const spareFile = path.join(this.dir, SPARE_NAME);
    let usedSpare = false;
    if (this.spare === 'ready') {
      this.spare = 'none';
      try {
        if (fs.statSync(spareFile).size === this.segmentBytes) {
          fs.renameSync(spareFile, file);
          usedSpare = true;
        }
      } catch {
        // gone or unreadable: make one below
      }
    }
    const capacity = usedSpare ? this.segmentBytes : Math.min(this.segmentBytes, Math.max(FIRST_SEGMENT_BYTES, needed + PREAMBLE_ROOM_BYTES));
    if (!usedSpare) createZeroFilledSync(file, capacity);
    fsyncDirectory(this.dir);
    // The old segment stays open for reads.
    this.segments.push({ seq, fd: fs.openSync(file, 'r+'), capacity });
    this.writeOffset = 0;
    this.pendingStart = 0;
    for (const r of this.preamble()) this.append(r);
  }

  /** Zero-fills the next segment on the thread pool, off the event loop, so a rollover is a rename. */
  private prepareSpare(): void {
    if (this.spare !== 'none' || this.isClosed) return;
    this.spare = 'preparing';
    const tmp = path.join(this.dir, SPARE_TEMP_NAME);
    const size = this.segmentBytes;
    const work = async (): Promise<void> => {
      try {
        const st = await fsp.stat(path.join(this.dir, SPARE_NAME));
        if (st.size === size) return; // left by an earlier run, complete (renamed only once synced)
      } catch {
        // none yet
      }
      const fh = await fsp.open(tmp, 'w');
      try {
        const zeros = Buffer.alloc(Math.min(ZERO_FILL_CHUNK_BYTES, size));
        for (let off = 0; off < size; off += zeros.length) {
          if (this.isClosed) throw new Error('closed while preparing the next segment');
          await fh.write(zeros, 0, Math.min(zeros.length, size - off), off);
        }
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, path.join(this.dir, SPARE_NAME));
    };
    this.spareWork = work().then(
      () => {
        if (this.spare === 'preparing') this.spare = 'ready';
      },
      (err: Error) => {
        if (this.spare === 'preparing') this.spare = 'none';
        if (!this.isClosed) this.opts.onBackgroundError?.(err);
      },
    );
  }

  /** Settles once no spare segment is being prepared (tests wait on it before removing the directory). */
  async idle(): Promise<void> {
    await this.spareWork;
  }

  /** Whether a prepared spare segment is waiting for the next rollover. */
  hasSpareReady(): boolean {
    return this.spare === 'ready';
  }

  /** Writes what is queued (without a sync) and closes the files. */
  close(): void {
    if (this.isClosed) return;
    this.flush(false);
    this.isClosed = true;
    for (const s of this.segments) fs.closeSync(s.fd);
  }
}
