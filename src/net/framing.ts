/**
 * Length-prefixed frames for TCP streams: a 4-byte big-endian payload length, then the payload.
 * The decoder is fed arbitrary chunks (TCP splits and joins writes freely) and yields whole payloads.
 */
export const FRAME_HEADER_BYTES = 4;
/** Largest payload accepted; a bigger length means a corrupt or hostile stream, and the connection is dropped. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  constructor(
    readonly length: number,
    readonly limit = MAX_FRAME_BYTES,
  ) {
    super(`frame of ${length} bytes exceeds the ${limit}-byte limit`);
  }
}

export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(payload.length);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** The largest payload this stream may carry now (a connection that has not said hello gets a small one). */
  constructor(public maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Feeds a chunk; returns every payload completed by it, in order. Throws FrameTooLargeError on a bad length. */
  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    for (let f = this.next(); f !== null; f = this.next()) frames.push(f);
    return frames;
  }

  /** Feeds a chunk without decoding (take frames with next(), so the limit can change between two frames). */
  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole payload, or null until more bytes come. Throws FrameTooLargeError on a length over the limit. */
  next(): Buffer | null {
    if (this.buffered < FRAME_HEADER_BYTES) return null;
    const head = this.peek(FRAME_HEADER_BYTES);
    const length = head.readUInt32BE(0);
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
    if (this.buffered < FRAME_HEADER_BYTES + length) return null;
    return this.take(FRAME_HEADER_BYTES + length).subarray(FRAME_HEADER_BYTES);
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const first = this.chunks[0].length >= n ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = first.subarray(0, n);
    const rest = first.subarray(n);
    if (first === this.chunks[0]) this.chunks.shift();
    else this.chunks = [];
    if (rest.length > 0) this.chunks.unshift(rest);
    this.buffered -= n;
    return out;
  }
}
