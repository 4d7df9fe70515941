import net from 'node:net';
import { expect } from 'chai';
import { encodeFrame } from '../../src/net/framing.js';
import { LinkFilter } from '../../src/net/link-filter.js';
import { TcpTransport, type PeerPortLimits } from '../../src/net/tcp-transport.js';
import type { Envelope } from '../../src/net/envelope.js';
import { SeededRandom } from '../../src/random/random.js';

const frame = (o: unknown): Buffer => encodeFrame(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)));
const hello = (from: string, to = 'n1'): Buffer => frame({ kind: 'hello', from, to, body: null });

/** The peer port of node n1 (its peer n2 is known), with small limits so each can be reached in a test. */
async function peerPort(limits: Partial<PeerPortLimits> = {}) {
  const received: Envelope[] = [];
  const rejected: string[] = [];
  const tcp = new TcpTransport({
    selfId: 'n1',
    host: '127.0.0.1',
    port: 0,
    filter: new LinkFilter(new SeededRandom(1)),
    onMessage: (e) => received.push(e),
    onReject: (reason) => rejected.push(reason),
    limits: { helloTimeoutMs: 300, preHelloFrameBytes: 256, maxInboundConnections: 4, ...limits },
  });
  await tcp.listen();
  const port = ((tcp as unknown as { server: net.Server }).server.address() as net.AddressInfo).port;
  tcp.setPeers([{ id: 'n2', host: '127.0.0.1', peerPort: 1, gossipPort: 1 }]);
  return { tcp, port, received, rejected };
}

/** Connects, writes the buffers, and resolves once the server closes the connection (true) or after `ms` (false). */
function send(port: number, bufs: Buffer[], ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      for (const b of bufs) s.write(b);
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => undefined);
  });
}

describe('peer port: hello first, then only that peer', () => {
  it('a hello from an id that is not a peer, or to another node, closes the connection (unknown_peer)', async () => {
    const p = await peerPort();
    try {
      expect(await send(p.port, [hello('n9'), frame({ kind: 'raft', from: 'n9', to: 'n1', body: null })])).to.equal(true);
      expect(await send(p.port, [hello('n2', 'n3')])).to.equal(true);
      expect(p.rejected).to.deep.equal(['unknown_peer', 'unknown_peer']);
      expect(p.received).to.have.length(0);
    } finally {
      await p.tcp.close();
    }
  });

  it('a first frame that is not hello, garbage, or a large frame before hello closes the connection without buffering it', async () => {
    const p = await peerPort();
    try {
      expect(await send(p.port, [frame({ kind: 'raft', from: 'n2', to: 'n1', body: {} })])).to.equal(true);
      expect(await send(p.port, [frame('{"kind":')])).to.equal(true);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(1_000_000);
      expect(await send(p.port, [header, Buffer.alloc(100)])).to.equal(true);
      expect(p.rejected).to.deep.equal(['no_hello', 'bad_json', 'frame_too_large']);
    } finally {
      await p.tcp.close();
    }
  });

  it('a connection that says nothing is closed after the hello timeout', async () => {
    const p = await peerPort();
    try {
      expect(await send(p.port, [], 3000)).to.equal(true);
      expect(p.rejected).to.deep.equal(['hello_timeout']);
    } finally {
      await p.tcp.close();
    }
  });

  it('after hello: a frame claiming another sender is dropped (spoofed_sender), garbage is dropped, the connection lives on', async () => {
    const p = await peerPort();
    try {
      const good = { kind: 'reach-ping', from: 'n2', to: 'n1', body: { nonce: 'x' } };
      await send(p.port, [hello('n2'), frame({ ...good, from: 'n3' }), frame('not json'), frame({ kind: 'nope', from: 'n2', to: 'n1', body: 1 }), frame({ ...good, kind: 'hello' }), frame(good)], 300);
      expect(p.rejected).to.deep.equal(['spoofed_sender', 'bad_json', 'bad_envelope', 'unknown_kind']);
      expect(p.received).to.deep.equal([good]);
    } finally {
      await p.tcp.close();
    }
  });

  it('connections beyond the limit are closed at once (too_many_connections)', async () => {
    const p = await peerPort({ maxInboundConnections: 2, helloTimeoutMs: 5000 });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await new Promise<net.Socket>((r) => { const s = net.connect(p.port, '127.0.0.1', () => r(s)); }));
      expect(await send(p.port, [hello('n2')])).to.equal(true);
      expect(p.rejected).to.deep.equal(['too_many_connections']);
    } finally {
      for (const s of held) s.destroy();
      await p.tcp.close();
    }
  });

  it('partial frames are bounded across connections: the one that goes over the budget is closed (buffer_full)', async () => {
    const p = await peerPort({ maxPendingBytes: 10_000 });
    try {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(50_000);
      expect(await send(p.port, [hello('n2'), header, Buffer.alloc(20_000)])).to.equal(true);
      expect(p.rejected).to.deep.equal(['buffer_full']);
    } finally {
      await p.tcp.close();
    }
  });
});
