/**
 * Length-prefixed frames for TCP streams: a 4-byte big-endian payload length, then the payload.
 * The decoder is fed arbitrary chunks (TCP splits and joins writes freely) and yields whole payloads.
 */
export const FRAME_HEADER_BYTES = 4;
/** Largest payload accepted; a bigger length means a corrupt or hostile stream, and the connection is dropped. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  constructor(readonly length: number) {
    super(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
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

  /** Feeds a chunk; returns every payload completed by it, in order. Throws FrameTooLargeError on a bad length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const head = this.peek(FRAME_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameTooLargeError(length);
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const whole = this.take(FRAME_HEADER_BYTES + length);
      frames.push(whole.subarray(FRAME_HEADER_BYTES));
    }
    return frames;
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
