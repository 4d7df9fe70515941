import { expect } from 'chai';
import { envelopeBytes, jsonEquals, messageBytes, metaProblem, packetBytes, parseSwimPacket, utf8Length, type SwimMessage } from '../../src/swim/messages.js';

describe('swim messages', () => {
  it('utf8Length counts UTF-8 bytes as Buffer.byteLength does', () => {
    for (const s of ['', 'abc', 'zone=eu', 'é', '€', '日本語', '😀', 'a😀b', '\ud800x']) {
      expect(utf8Length(s), JSON.stringify(s)).to.equal(Buffer.byteLength(s, 'utf8'));
    }
  });

  it('packet size from envelope and message sizes is exactly the JSON length', () => {
    const msgs: SwimMessage[] = [
      { type: 'ping', seq: 12, target: 'n2' },
      { type: 'alive', member: 'n3', address: '127.0.0.1:7003', incarnation: 4, meta: { joinedAtMs: 1, tags: { zone: 'eu-wést', rack: '😀' } } },
      { type: 'suspect', member: 'n4', incarnation: 2, from: 'n1' },
    ];
    for (let k = 1; k <= msgs.length; k++) {
      const packet = { v: 1, from: 'n1', msgs: msgs.slice(0, k) };
      expect(packetBytes(envelopeBytes('n1'), packet.msgs.map(messageBytes))).to.equal(Buffer.byteLength(JSON.stringify(packet)));
    }
  });

  it('meta must have a join time, string tags with sane keys, and fit the size limit', () => {
    expect(metaProblem({ joinedAtMs: 1, tags: { zone: 'eu' }, version: 3 }, 512)).to.equal(undefined);
    expect(metaProblem(null, 512)).to.match(/object/);
    expect(metaProblem({ tags: {} }, 512)).to.match(/joinedAtMs/);
    expect(metaProblem({ joinedAtMs: 1, tags: { zone: 5 } }, 512)).to.match(/tag zone/);
    expect(metaProblem({ joinedAtMs: 1, tags: { 'bad key': 'x' } }, 512)).to.match(/tag key/);
    expect(metaProblem({ joinedAtMs: 1, tags: { big: 'x'.repeat(200) }, more: 'y'.repeat(400) }, 512)).to.match(/more than 512/);
  });

  it('parseSwimPacket accepts well-formed packets as they are', () => {
    const p = { v: 1, from: 'n1', msgs: [{ type: 'ack', seq: 3 }, { type: 'dead', member: 'n2', incarnation: 1, from: 'n1' }] };
    expect(parseSwimPacket(p)).to.equal(p);
  });

  it('parseSwimPacket rejects garbage with a reason and never throws', () => {
    const garbage: unknown[] = [
      null,
      42,
      'ping',
      [],
      {},
      { v: 2, from: 'n1', msgs: [{ type: 'ack', seq: 1 }] },
      { v: 1, from: '', msgs: [{ type: 'ack', seq: 1 }] },
      { v: 1, from: 'n1', msgs: [] },
      { v: 1, from: 'n1', msgs: 'x' },
      { v: 1, from: 'n1', msgs: [null] },
      { v: 1, from: 'n1', msgs: [{ type: 'ack', seq: -1 }] },
      { v: 1, from: 'n1', msgs: [{ type: 'ack', seq: 1.5 }] },
      { v: 1, from: 'n1', msgs: [{ type: 'ping', seq: 1 }] },
      { v: 1, from: 'n1', msgs: [{ type: 'ping-req', seq: 1, target: 'n2', targetAddress: 'n2' }] },
      { v: 1, from: 'n1', msgs: [{ type: 'alive', member: 'n2', address: 'n2', incarnation: 1, meta: { tags: {} } }] },
      { v: 1, from: 'n1', msgs: [{ type: 'suspect', member: 'n2', incarnation: '1', from: 'n1' }] },
      { v: 1, from: 'n1', msgs: [{ type: 'launch', seq: 1 }] },
      { v: 1, from: 'n1', msgs: [{ type: 'ack', seq: 1 }, { type: 'dead', member: 'n2' }] },
      { v: 1, from: 'x'.repeat(300), msgs: [{ type: 'ack', seq: 1 }] },
    ];
    for (const g of garbage) expect(parseSwimPacket(g), JSON.stringify(g)).to.be.a('string');
  });

  it('jsonEquals compares JSON values independent of key order', () => {
    expect(jsonEquals({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).to.equal(true);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).to.equal(false);
    expect(jsonEquals([1, 2], [2, 1])).to.equal(false);
    expect(jsonEquals({ a: null }, { a: {} })).to.equal(false);
  });
});
