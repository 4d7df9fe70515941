import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { encodeFrame, FrameDecoder } from '../../src/net/framing.js';
import { generateKey, Keyring, keyFingerprint, parseKey } from '../../src/net/keyring.js';
import { NonceSequence, plainCodec, sealedCodec, type AcceptorSession, type DialerSession } from '../../src/net/sealed-frame.js';

const ringOf = (...keys: string[]): Keyring => new Keyring({ version: 1, primary: keys[0], keys });

/** Dials: the acceptor's greeting goes to the dialer, as on a real connection. */
function handshake(dialer: DialerSession, acceptor: AcceptorSession): void {
  const greeting = acceptor.greeting();
  if (greeting === null) return;
  const [payload] = new FrameDecoder().push(greeting);
  expect(dialer.onGreeting(payload)).to.equal('ok');
}

/** The frames a dialer's write puts on the wire. */
const framesOf = (bytes: Buffer): Buffer[] => new FrameDecoder().push(bytes);
const text = (payloads: Buffer[] | null): string[] | null => (payloads === null ? null : payloads.map(String));

describe('peer keyring and sealed frames (AES-256-GCM)', () => {
  const k1 = generateKey();
  const k2 = generateKey();
  const stranger = generateKey();

  it('keys are 32 bytes of base64; anything else is refused with a clear message', () => {
    expect(parseKey(k1)).to.have.length(32);
    for (const [bad, why] of [
      ['', /base64 text of 32 bytes/],
      ['not base64!', /not base64/],
      [Buffer.alloc(16).toString('base64'), /16 bytes; a cluster key is 32 bytes/],
      [42, /base64 text/],
    ] as const) {
      expect(() => parseKey(bad)).to.throw(CcmError, why);
    }
  });

  it('keyring: install, use, remove; the primary cannot be removed, an uninstalled key cannot be used', () => {
    const ring = ringOf(k1);
    expect(ring.install(parseKey(k2))).to.equal(true);
    expect(ring.install(parseKey(k2))).to.equal(false);
    expect(() => ring.remove(parseKey(k1))).to.throw(CcmError, /primary key/);
    expect(() => ring.use(parseKey(stranger))).to.throw(CcmError, /not installed/);
    ring.use(parseKey(k2));
    expect(ring.primary().equals(parseKey(k2))).to.equal(true);
    expect(ring.remove(parseKey(k1))).to.equal(true);
    expect(ring.view().keys).to.deep.equal([keyFingerprint(parseKey(k2))]);
    expect(ring.version).to.equal(4);
    expect(JSON.stringify(ring.view())).to.not.include(k2);
  });

  it('nonces never repeat within a process', () => {
    const seq = new NonceSequence();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(seq.next().toString('hex'));
    expect(seen.size).to.equal(20_000);
  });

  it('TCP: records open in order on the acceptor; the wire carries no plaintext', () => {
    const codec = sealedCodec(ringOf(k1), 'c1');
    const dialer = codec.dialer();
    const acceptor = codec.acceptor();
    expect(dialer.isWaitingForGreeting).to.equal(true);
    handshake(dialer, acceptor);
    const wire1 = dialer.seal([Buffer.from('{"kind":"hello","from":"n2"}'), Buffer.from('first')]);
    const wire2 = dialer.seal([Buffer.from('second secret')]);
    expect(wire1.includes(Buffer.from('hello'))).to.equal(false);
    expect(wire2.includes(Buffer.from('secret'))).to.equal(false);
    expect(text(acceptor.open(framesOf(wire1)[0]))).to.deep.equal(['{"kind":"hello","from":"n2"}', 'first']);
    expect(text(acceptor.open(framesOf(wire2)[0]))).to.deep.equal(['second secret']);
  });

  it('TCP: a record fails under another key, on another connection (replay), twice (replay), out of order, or tampered', () => {
    const codec = sealedCodec(ringOf(k1), 'c1');
    const dialer = codec.dialer();
    const acceptor = codec.acceptor();
    handshake(dialer, acceptor);
    const r0 = framesOf(dialer.seal([Buffer.from('hello')]))[0];
    const r1 = framesOf(dialer.seal([Buffer.from('one')]))[0];
    const r2 = framesOf(dialer.seal([Buffer.from('two')]))[0];

    const wrongKey = sealedCodec(ringOf(stranger), 'c1').acceptor();
    expect(wrongKey.open(r0)).to.equal(null);
    expect(wrongKey.refusal('why')).to.be.instanceOf(Buffer);

    const otherCluster = sealedCodec(ringOf(k1), 'c2').acceptor();
    expect(otherCluster.open(r0), 'the cluster name is bound in').to.equal(null);

    const anotherConnection = codec.acceptor();
    expect(anotherConnection.open(r0), 'a fresh challenge per connection').to.equal(null);

    expect(text(acceptor.open(r0))).to.deep.equal(['hello']);
    expect(acceptor.open(r0), 'replayed').to.equal(null);
    expect(acceptor.open(r2), 'out of order').to.equal(null);
    const tampered = Buffer.from(r1);
    tampered[20] ^= 1;
    expect(acceptor.open(tampered), 'tampered').to.equal(null);
    expect(text(acceptor.open(r1))).to.deep.equal(['one']);
  });

  it('TCP: rotation — the acceptor opens records under every installed key; removing a key refuses what it seals', () => {
    const senderRing = ringOf(k1);
    const receiverRing = ringOf(k1);
    const dialer = sealedCodec(senderRing, 'c1').dialer();
    const acceptor = sealedCodec(receiverRing, 'c1').acceptor();
    handshake(dialer, acceptor);
    receiverRing.install(parseKey(k2));
    senderRing.install(parseKey(k2));
    senderRing.use(parseKey(k2)); // the sender switches before the receiver does: still fine
    expect(text(acceptor.open(framesOf(dialer.seal([Buffer.from('under k2')]))[0]))).to.deep.equal(['under k2']);
    senderRing.use(parseKey(k1));
    receiverRing.use(parseKey(k2));
    receiverRing.remove(parseKey(k1));
    expect(acceptor.open(framesOf(dialer.seal([Buffer.from('under removed k1')]))[0])).to.equal(null);
  });

  it('TCP: the dialer reads a refusal as such, and anything but a challenge as malformed', () => {
    const codec = sealedCodec(ringOf(k1), 'c1');
    const dialer = codec.dialer();
    const refusal = framesOf(codec.acceptor().refusal('n1 could not authenticate your hello')!)[0];
    expect(dialer.onGreeting(refusal)).to.deep.equal({ refused: 'n1 could not authenticate your hello' });
    expect(codec.dialer().onGreeting(Buffer.from('{"kind":"hello"}'))).to.have.property('malformed');
  });

  it('UDP: the sender and recipient are bound; a stranger, a forged sender or another recipient fails', () => {
    const codec = sealedCodec(ringOf(k1), 'c1');
    const payload = Buffer.from('{"kind":"swim","from":"n2","to":"n1","body":{"secret":"gossip"}}');
    const sealed = codec.sealDatagram('n2', 'n1', payload);
    expect(sealed.includes(Buffer.from('gossip'))).to.equal(false);
    const opened = codec.openDatagram(sealed, 'n1');
    expect(opened.ok && opened.from === 'n2' && opened.payload.equals(payload)).to.equal(true);
    expect(codec.openDatagram(sealed, 'n3'), 'replayed to another node').to.deep.equal({ ok: false, claimedFrom: 'n2' });
    const forged = Buffer.from(sealed);
    forged[2] = 'n'.charCodeAt(0);
    forged[3] = '3'.charCodeAt(0); // claims n3 as the sender
    expect(codec.openDatagram(forged, 'n1')).to.deep.equal({ ok: false, claimedFrom: 'n3' });
    expect(sealedCodec(ringOf(stranger), 'c1').openDatagram(sealed, 'n1').ok).to.equal(false);
    expect(codec.openDatagram(payload, 'n1'), 'a plaintext datagram').to.deep.equal({ ok: false, claimedFrom: null });
    expect(codec.openDatagram(Buffer.alloc(0), 'n1').ok).to.equal(false);
  });

  it('the plain codec (the bench comparison) leaves frames and datagrams as they are', () => {
    const d = plainCodec.dialer();
    expect(d.isWaitingForGreeting).to.equal(false);
    expect(d.seal([Buffer.from('a'), Buffer.from('b')]).equals(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b'))]))).to.equal(true);
    expect(plainCodec.acceptor().greeting()).to.equal(null);
    expect(plainCodec.openDatagram(Buffer.from('x'), 'n1')).to.deep.equal({ ok: true, from: null, payload: Buffer.from('x') });
  });
});
