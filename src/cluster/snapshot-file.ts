/**
 * The backup file of `ccm snapshot save` (etcdctl snapshot save's role): one line of JSON saying what it is, then the
 * core's applied state as JSON. The header carries the SHA-256 of the body, and what `snapshot status` shows (revision,
 * keys, leases); a file whose body does not hash to it, or whose header disagrees with its body, is refused.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CcmError } from '../errors/ccm-error.js';
import { KeyValueSchema, LeaseSchema, WatchEventSchema } from '../core/kv-schemas.js';

export const SNAPSHOT_FORMAT = 'ccm-snapshot';
export const SNAPSHOT_VERSION = 1;
/** Restore reads the whole file into memory: a bound that no real state of this toolkit comes near. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const EventSchema = Type.Object({ revision: Count, sub: Type.Integer(), event: WatchEventSchema });

/** The core's applied state (storage/applied-state.ts StateSnapshot): what a Raft snapshot carries too. */
export const SnapshotStateSchema = Type.Object({
  revision: Count,
  compactRevision: Count,
  kvs: Type.Array(KeyValueSchema),
  leases: Type.Array(LeaseSchema),
  events: Type.Array(EventSchema),
});
export type SnapshotState = Static<typeof SnapshotStateSchema>;

/** GET /v1/snapshot: the state, and where and when it was taken. */
export interface SnapshotDocument {
  cluster: string;
  node: string;
  /** The Raft index and term the state is applied up to. */
  index: number;
  term: number;
  voters: string[];
  takenAtMs: number;
  state: SnapshotState;
}

const HeaderSchema = Type.Object({
  format: Type.Literal(SNAPSHOT_FORMAT),
  version: Type.Literal(SNAPSHOT_VERSION),
  cluster: Type.String(),
  node: Type.String(),
  index: Count,
  term: Count,
  takenAtMs: Type.Number(),
  revision: Count,
  compactRevision: Count,
  keys: Count,
  leases: Count,
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  bytes: Count,
});
export type SnapshotHeader = Static<typeof HeaderSchema>;

const checkHeader = TypeCompiler.Compile(HeaderSchema);
const checkState = TypeCompiler.Compile(SnapshotStateSchema);

/** The file's bytes: header line, then the body. */
export function encodeSnapshotFile(doc: SnapshotDocument): Buffer {
  const body = Buffer.from(JSON.stringify(doc.state));
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    cluster: doc.cluster,
    node: doc.node,
    index: doc.index,
    term: doc.term,
    takenAtMs: doc.takenAtMs,
    revision: doc.state.revision,
    compactRevision: doc.state.compactRevision,
    keys: doc.state.kvs.length,
    leases: doc.state.leases.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    bytes: body.length,
  };
  return Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), body]);
}

function corrupt(file: string, why: string): CcmError {
  return new CcmError('invalid_argument', `${file} is not a usable ccm snapshot: ${why}`);
}

/** Reads and checks a snapshot file: format, checksum, schema, and that the header agrees with the body. */
export function readSnapshotFile(file: string): { header: SnapshotHeader; state: SnapshotState; fileBytes: number } {
  let data: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_SNAPSHOT_BYTES) throw corrupt(file, `it is ${size} bytes, over the ${MAX_SNAPSHOT_BYTES}-byte bound`);
    data = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof CcmError) throw err;
    throw new CcmError('invalid_argument', `cannot read ${file}: ${(err as Error).message}`);
  }
  const newline = data.indexOf(0x0a);
  if (newline < 0) throw corrupt(file, 'no header line');
  let header: unknown;
  try {
    header = JSON.parse(data.subarray(0, newline).toString('utf8'));
  } catch {
    throw corrupt(file, 'its header is not JSON (is it a ccm snapshot at all?)');
  }
  if ((header as { format?: unknown })?.format !== SNAPSHOT_FORMAT) throw corrupt(file, 'it is not a ccm snapshot (no ccm-snapshot header)');
  if (!checkHeader.Check(header)) {
    const first = checkHeader.Errors(header).First();
    throw corrupt(file, `its header is damaged (${first ? `${first.path} ${first.message}` : 'bad shape'})`);
  }
  const body = data.subarray(newline + 1);
  if (body.length !== header.bytes) throw corrupt(file, `its body is ${body.length} bytes, the header says ${header.bytes} (truncated?)`);
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== header.sha256) throw corrupt(file, `checksum mismatch: the body hashes to ${sha.slice(0, 16)}…, the header says ${header.sha256.slice(0, 16)}…`);
  let state: unknown;
  try {
    state = JSON.parse(body.toString('utf8'));
  } catch {
    throw corrupt(file, 'its body is not JSON');
  }
  if (!checkState.Check(state)) {
    const first = checkState.Errors(state).First();
    throw corrupt(file, `its state is malformed (${first ? `${first.path} ${first.message}` : 'bad shape'})`);
  }
  if (state.revision !== header.revision || state.kvs.length !== header.keys || state.leases.length !== header.leases) {
    throw corrupt(file, 'its header does not match its body');
  }
  return { header, state, fileBytes: data.length };
}

/** Writes the file atomically (temp file, fsync, rename): a crash never leaves half a backup under the name. */
export function writeSnapshotFile(file: string, bytes: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new CcmError('invalid_argument', `cannot write ${file}: ${(err as Error).message}`);
  }
}

/** Where a restored voter finds its starting state (consumed at its first start). */
export const RESTORE_FILE_NAME = 'restore.snapshot';
