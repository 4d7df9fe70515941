import { expect } from 'chai';
import { encodeFrame, FrameDecoder, FrameTooLargeError, MAX_FRAME_BYTES } from '../../src/net/framing.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/net/envelope.js';
import { SeededRandom } from '../../src/random/random.js';

describe('framing', () => {
  it('round-trips frames split and joined at arbitrary byte boundaries', () => {
    const random = new SeededRandom(7);
    const payloads = Array.from({ length: 200 }, (_, i) => Buffer.from('x'.repeat(random.int(0, 3000)) + i));
    const stream = Buffer.concat(payloads.map(encodeFrame));
    const decoder = new FrameDecoder();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = random.int(1, 5000);
      out.push(...decoder.push(stream.subarray(at, at + n)));
      at += n;
    }
    expect(out.map((b) => b.toString())).to.deep.equal(payloads.map((b) => b.toString()));
    expect(decoder.pendingBytes).to.equal(0);
  });

  it('yields nothing until a frame is complete, byte by byte', () => {
    const frame = encodeFrame(Buffer.from('hello'));
    const decoder = new FrameDecoder();
    for (let i = 0; i < frame.length - 1; i++) expect(decoder.push(frame.subarray(i, i + 1))).to.have.length(0);
    expect(decoder.push(frame.subarray(frame.length - 1)).map(String)).to.deep.equal(['hello']);
  });

  it('handles an empty payload', () => {
    expect(new FrameDecoder().push(encodeFrame(Buffer.alloc(0)))[0].length).to.equal(0);
  });

  it('rejects a length over the limit instead of buffering it', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameDecoder().push(header)).to.throw(FrameTooLargeError);
  });

  it('envelopes: garbage decodes to a reason (bad_json or bad_envelope), never throws', () => {
    for (const bad of ['', 'not json', '{"kind":', '\u0000']) expect(decodeEnvelope(Buffer.from(bad)), bad).to.have.property('reason', 'bad_json');
    for (const bad of [
      '[]',
      'null',
      '{"kind":"raft"}',
      '{"kind":"raft","from":"a","to":"b"}',
      '{"kind":"nope","from":"a","to":"b","body":1}',
      '{"kind":"raft","from":1,"to":"b","body":1}',
      '{"kind":"raft","from":"","to":"b","body":1}',
      '{"kind":"raft","from":"a","to":"b","body":1,"extra":2}',
    ]) {
      expect(decodeEnvelope(Buffer.from(bad)), bad).to.have.property('reason', 'bad_envelope');
    }
    const e = { kind: 'raft' as const, from: 'n1', to: 'n2', body: { x: [1, 2] } };
    expect(decodeEnvelope(encodeEnvelope(e))).to.deep.equal(e);
  });
});
