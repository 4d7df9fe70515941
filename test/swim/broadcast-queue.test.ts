import { expect } from 'chai';
import { BroadcastQueue, retransmitLimit } from '../../src/swim/broadcast-queue.js';
import type { BroadcastMessage } from '../../src/swim/messages.js';

const suspect = (member: string, incarnation = 0): BroadcastMessage => ({ type: 'suspect', member, incarnation, from: 'n0' });
const alive = (member: string, incarnation = 0): BroadcastMessage => ({ type: 'alive', member, address: member, incarnation, meta: { joinedAtMs: 0, tags: {} } });

describe('broadcast queue (TransmitLimitedQueue)', () => {
  it('retransmit limit = mult · ceil(log10(n + 1)) (memberlist: n=5 → 4, n=100 → 12)', () => {
    expect(retransmitLimit(4, 5)).to.equal(4);
    expect(retransmitLimit(4, 100)).to.equal(12);
    expect(retransmitLimit(4, 1000)).to.equal(16);
    expect(retransmitLimit(4, 10000)).to.equal(20);
    expect(retransmitLimit(2, 7)).to.equal(2);
  });

  it('sends fewest transmits first, then larger messages, then newer', () => {
    const q = new BroadcastQueue(100);
    q.enqueue('a', suspect('a'), 50);
    q.enqueue('b', suspect('b'), 80);
    q.enqueue('c', suspect('c'), 50);
    expect(q.view().map((e) => e.key)).to.deep.equal(['b', 'c', 'a']);
    // Take only the head: it moves behind the others.
    const first = q.getBroadcasts(0, 80, 10);
    expect(first.messages.map((m) => (m as { member: string }).member)).to.deep.equal(['b']);
    expect(q.view().map((e) => [e.key, e.transmits])).to.deep.equal([
      ['c', 0],
      ['a', 0],
      ['b', 1],
    ]);
  });

  it('a new broadcast about a member invalidates the queued one about the same member', () => {
    const q = new BroadcastQueue(100);
    q.enqueue('n3', suspect('n3', 1), 60);
    q.enqueue('n4', suspect('n4', 1), 60);
    q.enqueue('n3', alive('n3', 2), 100);
    expect(q.length).to.equal(2);
    const { messages } = q.getBroadcasts(1, 10_000, 10);
    expect(messages).to.have.length(2);
    expect(messages.filter((m) => (m as { member: string }).member === 'n3')).to.deep.equal([alive('n3', 2)]);
  });

  it('drops a broadcast once it reached the retransmit limit', () => {
    const q = new BroadcastQueue(100);
    q.enqueue('a', suspect('a'), 50);
    for (let i = 0; i < 3; i++) expect(q.getBroadcasts(1, 1000, 3).messages).to.have.length(1);
    expect(q.length).to.equal(0);
    expect(q.has('a')).to.equal(false);
    expect(q.getBroadcasts(1, 1000, 3).messages).to.have.length(0);
  });

  it('packs only what fits the byte budget, counting the per-message overhead, and skips what does not fit', () => {
    const q = new BroadcastQueue(100);
    q.enqueue('big', alive('big'), 300);
    q.enqueue('m1', suspect('m1'), 100);
    q.enqueue('m2', suspect('m2'), 100);
    // 250 bytes: the 300-byte one does not fit; two 100-byte ones with 10 bytes overhead each (220) do.
    const got = q.getBroadcasts(10, 250, 10);
    expect(got.messages.map((m) => (m as { member: string }).member)).to.have.members(['m1', 'm2']);
    expect(got.bytes).to.equal(200);
    expect(q.view().find((e) => e.key === 'big')!.transmits).to.equal(0);
  });

  it('beyond its bound keeps the broadcasts with the fewest transmits and counts the dropped ones', () => {
    const q = new BroadcastQueue(16);
    for (let i = 0; i < 16; i++) q.enqueue(`old${i}`, suspect(`old${i}`), 50);
    for (let i = 0; i < 16; i++) q.getBroadcasts(0, 50, 100); // each old one transmitted once
    q.enqueue('fresh1', suspect('fresh1'), 50);
    q.enqueue('fresh2', suspect('fresh2'), 50);
    expect(q.length).to.equal(16);
    expect(q.droppedCount).to.equal(2);
    expect(q.has('fresh1') && q.has('fresh2')).to.equal(true);
  });
});
