import { expect } from 'chai';
import fc from 'fast-check';
import { CcmError } from '../../src/errors/ccm-error.js';
import { SeededRandom } from '../../src/random/random.js';
import { DEFAULT_WIRE_LIMITS, parseSwimPacket, type SwimMessage, type SwimPacket } from '../../src/swim/messages.js';
import { parsePushPullState, type PushPullState } from '../../src/swim/push-pull.js';
import { lanConfig, localConfig } from '../../src/swim/swim-config.js';
import { SwimNode } from '../../src/swim/swim-node.js';
import { ManualClock } from '../../src/time/clock.js';
import { SwimHarness } from './swim-harness.js';

const packet = (from: string, ...msgs: SwimMessage[]): SwimPacket => ({ v: 1, from, msgs });
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

describe('SwimNode', () => {
  describe('incarnations and refutation', () => {
    it('SWIM: a node refutes suspicion with a higher incarnation, and the others believe it', () => {
      const h = new SwimHarness(1);
      h.cluster(ids(3));
      h.node('n2').receivePacket('n1', packet('n1', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n1' }));
      h.collect();
      expect(h.node('n2').incarnation()).to.equal(1);
      const refuted = h.eventsOf('refuted', 'n2');
      expect(refuted).to.have.length(1);
      expect(refuted[0].event).to.deep.include({ accusation: 'suspect', accusedIncarnation: 0, accuser: 'n1', incarnation: 1 });
      expect(h.node('n2').member('n2')?.state).to.equal('alive');
      expect(h.runUntil(() => ['n1', 'n3'].every((o) => h.node(o).member('n2')?.incarnation === 1), 2000)).to.equal(true);
    });

    it('SWIM: a refutation takes an incarnation above the accuser\'s, even one far ahead of ours', () => {
      const h = new SwimHarness(2);
      h.cluster(ids(2));
      h.node('n2').receivePacket('n1', packet('n1', { type: 'dead', member: 'n2', incarnation: 41, from: 'n1' }));
      h.collect();
      expect(h.node('n2').incarnation()).to.equal(42);
      expect(h.eventsOf('refuted', 'n2')[0].event).to.deep.include({ accusation: 'dead', accusedIncarnation: 41 });
    });

    it('SWIM: news carrying an older incarnation is ignored', () => {
      const h = new SwimHarness(3);
      h.cluster(ids(3));
      h.node('n2').setTags({ zone: 'eu' });
      h.runUntil(() => h.node('n1').member('n2')?.incarnation === 1, 2000);
      h.events.length = 0;
      const n1 = h.node('n1');
      n1.receivePacket('n3', packet('n3', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      n1.receivePacket('n3', packet('n3', { type: 'dead', member: 'n2', incarnation: 0, from: 'n3' }));
      n1.receivePacket('n3', packet('n3', { type: 'alive', member: 'n2', address: 'n2', incarnation: 0, meta: { joinedAtMs: 5, tags: {} } }));
      h.collect();
      expect(n1.member('n2')).to.deep.include({ state: 'alive', incarnation: 1 });
      expect(n1.member('n2')?.meta.tags).to.deep.equal({ zone: 'eu' });
      expect(h.events.filter((e) => e.observer === 'n1')).to.deep.equal([]);
    });

    it('SWIM: an accusation of an incarnation we already refuted makes us gossip our alive again', () => {
      const h = new SwimHarness(4);
      h.cluster(ids(3));
      const n2 = h.node('n2');
      n2.receivePacket('n1', packet('n1', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n1' }));
      h.advance(500);
      expect(n2.pendingBroadcasts()).to.equal(0);
      n2.receivePacket('n3', packet('n3', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      expect(n2.incarnation()).to.equal(1);
      expect(n2.stats().reassertions).to.equal(1);
      expect(n2.pendingBroadcasts()).to.equal(1);
      h.collect();
      expect(h.eventsOf('refuted', 'n2')).to.have.length(1);
    });

    it('a refutation also goes straight to the accuser, once per accuser and incarnation', () => {
      const h = new SwimHarness(24);
      h.cluster(ids(4));
      const n2 = h.node('n2');
      const direct = (to: string) => h.sent.filter((p) => p.from === 'n2' && p.to === to && p.packet.msgs[0].type === 'alive');
      n2.receivePacket('n1', packet('n1', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n1' }));
      h.collect();
      expect(direct('n1').map((p) => p.packet.msgs[0])).to.deep.include.members([{ type: 'alive', member: 'n2', address: 'n2', incarnation: 1, meta: n2.meta() }]);
      n2.receivePacket('n4', packet('n4', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      n2.receivePacket('n4', packet('n4', { type: 'dead', member: 'n2', incarnation: 0, from: 'n3' }));
      h.collect();
      expect(direct('n3')).to.have.length(1);
      expect(n2.stats().directRefutations).to.equal(2);
    });

    it('SWIM: a suspicion at a higher incarnation voids the running timer (the member refuted it) and starts a fresh one', () => {
      const h = new SwimHarness(5);
      h.cluster(ids(4));
      const n1 = h.node('n1');
      h.drop = (p) => p.to === 'n2' || p.from === 'n2';
      n1.receivePacket('n3', packet('n3', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      h.advance(300);
      const first = n1.suspicions()[0];
      expect(first).to.deep.include({ memberId: 'n2', incarnation: 0 });
      n1.receivePacket('n4', packet('n4', { type: 'suspect', member: 'n2', incarnation: 1, from: 'n4' }));
      const second = n1.suspicions()[0];
      expect(second).to.deep.include({ memberId: 'n2', incarnation: 1, startedAtMs: h.clock.monotonicMs(), confirmations: 0 });
      expect(second.accusers).to.deep.equal(['n4']);
    });
  });

  describe('probing', () => {
    it('SWIM: a member that stops answering is suspected, then declared dead everywhere after the suspicion timeout', () => {
      const h = new SwimHarness(6);
      h.cluster(ids(4));
      h.kill('n4');
      const t0 = h.clock.monotonicMs();
      expect(h.runUntil(() => ['n1', 'n2', 'n3'].every((o) => h.node(o).member('n4')?.state === 'dead'), 20_000)).to.equal(true);
      for (const o of ['n1', 'n2', 'n3']) {
        const mine = h.events.filter((e) => e.observer === o && e.event.memberId === 'n4').map((e) => e.event.type);
        expect(mine.indexOf('suspect'), o).to.be.at.least(0);
        expect(mine.indexOf('suspect'), o).to.be.below(mine.indexOf('dead'));
      }
      const timeouts = h.eventsOf('dead', 'n4').filter((e) => e.event.type === 'dead' && e.event.cause === 'suspicion-timeout');
      expect(timeouts.length).to.be.at.least(1);
      const d = timeouts[0].event;
      if (d.type !== 'dead') throw new Error('unreachable');
      expect(d.declaredBy).to.equal(timeouts[0].observer);
      expect(d.suspectedForMs).to.be.at.least(600);
      expect(h.clock.monotonicMs() - t0).to.be.above(600);
    });

    it('SWIM: when the direct ping fails, k members are asked (ping-req) and their relayed ack keeps the target alive', () => {
      const h = new SwimHarness(7);
      h.cluster(ids(4));
      h.drop = (p) => p.from === 'n1' && p.to === 'n2';
      h.advance(3000);
      const pingReqs = h.messagesSent('ping-req', { from: 'n1' }).filter((m) => m.type === 'ping-req' && m.target === 'n2');
      expect(pingReqs.length).to.be.at.least(2);
      expect(h.eventsOf('suspect', 'n2')).to.deep.equal([]);
      expect(h.node('n1').member('n2')?.state).to.equal('alive');
      expect(h.node('n1').stats().indirectProbes).to.be.at.least(2);
    });

    it('SWIM: a ping-req helper relays the ack, or nacks if the target stays silent', () => {
      const clock = new ManualClock(0);
      const n1 = new SwimNode({ id: 'n1', address: 'n1', meta: { joinedAtMs: 0, tags: {} }, config: localConfig(), clock, random: new SeededRandom(1) });
      n1.receivePacket('n9', packet('n9', { type: 'ping-req', seq: 7, target: 'n2', targetAddress: 'addr-2', wantsNack: true }));
      const out = n1.drain().packets;
      expect(out).to.have.length(1);
      expect(out[0].to).to.equal('addr-2');
      const ping = out[0].packet.msgs[0];
      expect(ping).to.deep.include({ type: 'ping', target: 'n2' });
      n1.receivePacket('addr-2', packet('n2', { type: 'ack', seq: (ping as { seq: number }).seq }));
      expect(n1.drain().packets.map((p) => [p.to, p.packet.msgs[0]])).to.deep.equal([['n9', { type: 'ack', seq: 7 }]]);

      n1.receivePacket('n9', packet('n9', { type: 'ping-req', seq: 8, target: 'n2', targetAddress: 'addr-2', wantsNack: true }));
      n1.drain();
      clock.advance(localConfig().probeTimeoutMs);
      n1.tick();
      const nack = n1.drain().packets.find((p) => p.packet.msgs[0].type === 'nack');
      expect(nack?.to).to.equal('n9');
      expect(nack?.packet.msgs[0]).to.deep.equal({ type: 'nack', seq: 8 });
    });

    it('SWIM: a ping meant for another member is not acked (a stale address)', () => {
      const h = new SwimHarness(8);
      h.cluster(ids(2));
      h.node('n1').receivePacket('n2', packet('n2', { type: 'ping', seq: 99, target: 'n7' }));
      expect(h.node('n1').drain().packets).to.deep.equal([]);
      expect(h.node('n1').stats().misdirectedPings).to.equal(1);
    });

    it('Lifeguard: probes that fail without the helpers\' nacks raise our health score and stretch our probe period; clean probes bring it back', () => {
      const h = new SwimHarness(9);
      h.cluster(ids(4));
      const n1 = h.node('n1');
      // n1's inbound is broken: no acks and no nacks reach it, so it must be the one in trouble.
      h.drop = (p) => p.to === 'n1';
      h.advance(6000);
      expect(n1.localHealthScore()).to.equal(localConfig().awarenessMaxMultiplier - 1);
      // With score 7 a failing probe lasts 8 probe intervals (1.6 s): two probes in 16 intervals, not sixteen.
      const probes = n1.stats().probes;
      h.advance(3200);
      expect(n1.stats().probes - probes).to.be.within(1, 3);
      h.drop = () => false;
      expect(h.runUntil(() => n1.localHealthScore() === 0, 30_000)).to.equal(true);
    });

    it('Lifeguard: when the helpers nack, a failed probe is not blamed on ourselves', () => {
      const h = new SwimHarness(10);
      h.cluster(ids(5));
      h.kill('n5');
      const live = ['n1', 'n2', 'n3', 'n4'];
      h.runUntil(() => live.every((o) => h.node(o).member('n5')?.state === 'dead'), 10_000);
      const failed = live.reduce((sum, o) => sum + h.node(o).stats().probeFailures, 0);
      const nacks = live.reduce((sum, o) => sum + h.node(o).stats().nacksReceived, 0);
      expect(failed).to.be.at.least(1);
      expect(nacks).to.be.at.least(failed);
      for (const id of live) expect(h.node(id).localHealthScore(), id).to.equal(0);
    });

    it('Lifeguard buddy system: a probe of a suspect member carries the suspicion, so it refutes at once', () => {
      const h = new SwimHarness(11);
      h.cluster(ids(3));
      h.node('n1').receivePacket('n3', packet('n3', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      h.drop = (p) => p.to === 'n2' && !p.packet.msgs.some((m) => m.type === 'ping');
      h.runUntil(() => h.node('n2').incarnation() > 0, 3000);
      const buddy = h.sent.find((p) => p.from === 'n1' && p.to === 'n2' && p.packet.msgs[0].type === 'ping' && p.packet.msgs.some((m) => m.type === 'suspect' && m.member === 'n2'));
      expect(buddy, 'a ping from n1 to n2 with the suspicion attached').to.not.equal(undefined);
      expect(h.eventsOf('refuted', 'n2')).to.have.length(1);
    });

    it('Lifeguard buddy system: every probe of a suspect carries the suspicion, even after its gossip ran out', () => {
      const clock = new ManualClock(0);
      // retransmitMult 1 at n = 2: the suspect broadcast is sent once, then only the buddy system carries it.
      const n1 = new SwimNode({ id: 'n1', address: 'n1', meta: { joinedAtMs: 0, tags: {} }, config: { ...localConfig(), retransmitMult: 1, suspicionMult: 20 }, clock, random: new SeededRandom(5) });
      n1.receivePacket('n2', packet('n2', { type: 'alive', member: 'n2', address: 'n2', incarnation: 0, meta: { joinedAtMs: 1, tags: {} } }));
      n1.receivePacket('n3', packet('n3', { type: 'suspect', member: 'n2', incarnation: 0, from: 'n3' }));
      const pings: SwimPacket[] = [];
      for (let t = 0; t < 2000; t += 10) {
        clock.set(t);
        n1.tick();
        for (const p of n1.drain().packets) if (p.packet.msgs[0].type === 'ping') pings.push(p.packet);
      }
      expect(pings.length).to.be.at.least(3);
      expect(n1.pendingBroadcasts()).to.equal(0);
      for (const p of pings) expect(p.msgs.some((m) => m.type === 'suspect' && m.member === 'n2' && m.from === 'n1')).to.equal(true);
    });

    it('Lifeguard buddy system, eagerly: the prober whose probe failed tells the suspect directly', () => {
      const h = new SwimHarness(12);
      h.cluster(ids(4));
      // n2 can hear everyone but nothing from n2 gets through: every probe of it fails.
      h.drop = (p) => p.from === 'n2';
      h.runUntil(() => h.node('n1').member('n2')?.state === 'suspect', 5000);
      const direct = h.sent.filter((p) => p.to === 'n2' && p.packet.msgs[0].type === 'suspect');
      expect(direct.length).to.be.at.least(1);
      expect(h.node('n2').stats().refutations).to.be.at.least(1);
    });

    it('Lifeguard: in a cluster too small for confirmations (k = 0) the timer is the minimum; with k = 1 it starts at max and shrinks on confirmation', () => {
      // LAN: k = suspicionMult − 2 = 2, so k = 0 below 4 members.
      const small = new SwimHarness(13, lanConfig());
      small.cluster(ids(3));
      small.kill('n3');
      small.runUntil(() => small.eventsOf('suspect', 'n3').length > 0, 10_000);
      const s = small.eventsOf('suspect', 'n3')[0].event;
      if (s.type !== 'suspect') throw new Error('unreachable');
      expect(s.confirmationsWanted).to.equal(0);
      expect(s.deadlineMs - s.atMs).to.equal(s.timeoutMinMs);

      const big = new SwimHarness(14);
      big.cluster(ids(7));
      big.kill('n7');
      big.runUntil(() => big.eventsOf('suspect-confirmed', 'n7').length > 0, 10_000);
      const first = big.eventsOf('suspect', 'n7')[0].event;
      if (first.type !== 'suspect') throw new Error('unreachable');
      expect(first.confirmationsWanted).to.equal(1);
      expect(first.deadlineMs - first.atMs).to.equal(first.timeoutMaxMs);
      const confirmed = big.eventsOf('suspect-confirmed', 'n7').find((e) => e.observer === big.eventsOf('suspect', 'n7')[0].observer);
      if (confirmed !== undefined && confirmed.event.type === 'suspect-confirmed') {
        expect(confirmed.event.deadlineMs).to.be.below(first.deadlineMs);
      }
    });
  });

  describe('push-pull, join, restart, leave', () => {
    it('SWIM: join pushes and pulls full state with the seed, so the newcomer knows the cluster before any gossip', () => {
      const h = new SwimHarness(15);
      h.cluster(ids(4));
      const n5 = h.add('n5');
      n5.join([{ id: 'n1', address: 'n1' }]);
      h.collect();
      expect(n5.members().map((m) => m.id).sort()).to.deep.equal(['n1', 'n2', 'n3', 'n4', 'n5']);
      expect(h.node('n1').member('n5')?.state).to.equal('alive');
      expect(h.runUntil(() => ['n2', 'n3', 'n4'].every((o) => h.node(o).member('n5')?.state === 'alive'), 3000)).to.equal(true);
      expect(h.eventsOf('joined', 'n5').map((e) => e.observer).sort()).to.deep.equal(['n1', 'n2', 'n3', 'n4']);
    });

    it('push-pull: a remote "dead" is merged as "suspect" (we check for ourselves), a remote "left" as left', () => {
      const h = new SwimHarness(16);
      h.cluster(ids(4));
      const meta = { joinedAtMs: 0, tags: {} };
      const state: PushPullState = {
        v: 1,
        from: 'n9',
        join: false,
        members: [
          { id: 'n2', address: 'n2', state: 'dead', incarnation: 0, meta },
          { id: 'n3', address: 'n3', state: 'left', incarnation: 0, meta },
        ],
      };
      const reply = h.node('n1').receivePushPull('n9', state);
      expect(reply.members.find((m) => m.id === 'n2')?.state).to.equal('alive');
      expect(h.node('n1').member('n2')?.state).to.equal('suspect');
      expect(h.node('n1').member('n3')?.state).to.equal('left');
      h.collect();
      const s = h.eventsOf('suspect', 'n2')[0].event;
      expect(s).to.deep.include({ via: 'push-pull', accuser: 'n9' });
      expect(h.eventsOf('left', 'n3')).to.have.length(1);
    });

    it('SWIM: a restarted node (incarnation 0 again) learns its old incarnation through push-pull and refutes above it', () => {
      const h = new SwimHarness(17);
      h.cluster(ids(3));
      for (let i = 0; i < 5; i++) h.node('n3').setTags({ round: String(i) });
      h.runUntil(() => h.node('n1').member('n3')?.incarnation === 5, 3000);
      h.kill('n3');
      expect(h.runUntil(() => ['n1', 'n2'].every((o) => h.node(o).member('n3')?.state === 'dead'), 20_000)).to.equal(true);
      const fresh = h.add('n3');
      expect(fresh.incarnation()).to.equal(0);
      fresh.join([{ id: 'n1', address: 'n1' }]);
      h.collect();
      expect(fresh.incarnation()).to.be.above(5);
      expect(h.runUntil(() => ['n1', 'n2'].every((o) => h.node(o).member('n3')?.state === 'alive' && h.node(o).member('n3')!.incarnation > 5), 5000)).to.equal(true);
      expect(h.eventsOf('joined', 'n3').length).to.be.at.least(2);
    });

    it('SWIM: a graceful leave is recorded as left (not dead) and the node stops probing', () => {
      const h = new SwimHarness(18);
      h.cluster(ids(4));
      const n4 = h.node('n4');
      n4.leave();
      expect(n4.hasPendingLeave()).to.equal(true);
      expect(h.runUntil(() => ['n1', 'n2', 'n3'].every((o) => h.node(o).member('n4')?.state === 'left'), 3000)).to.equal(true);
      h.runUntil(() => !n4.hasPendingLeave(), 5000);
      expect(n4.hasPendingLeave()).to.equal(false);
      const probes = n4.stats().probes;
      h.advance(2000);
      expect(n4.stats().probes).to.equal(probes);
      expect(h.eventsOf('dead', 'n4')).to.deep.equal([]);
      n4.receivePacket('n1', packet('n1', { type: 'dead', member: 'n4', incarnation: 0, from: 'n1' }));
      expect(n4.stats().refutations).to.equal(0);
      expect(() => n4.setTags({ a: 'b' })).to.throw(CcmError);
    });
  });

  describe('meta', () => {
    it('setMeta bumps our incarnation and every node learns the new tags', () => {
      const h = new SwimHarness(19);
      h.cluster(ids(5));
      h.node('n2').setTags({ zone: 'eu', role: 'web' });
      expect(h.node('n2').incarnation()).to.equal(1);
      expect(h.runUntil(() => ids(5).every((o) => h.node(o).member('n2')?.meta.tags.zone === 'eu'), 3000)).to.equal(true);
      const updates = h.eventsOf('updated-meta', 'n2');
      expect(updates.map((u) => u.observer).sort()).to.deep.equal(ids(5));
    });

    it('bad meta is rejected with invalid_argument and changes nothing', () => {
      const h = new SwimHarness(20);
      h.cluster(ids(2));
      const n1 = h.node('n1');
      const expectInvalid = (f: () => void): void => {
        try {
          f();
          expect.fail('should throw');
        } catch (e) {
          expect(e).to.be.instanceOf(CcmError);
          expect((e as CcmError).code).to.equal('invalid_argument');
        }
      };
      expectInvalid(() => n1.setTags({ 'bad key': 'x' }));
      expectInvalid(() => n1.setMeta({ blob: 'x'.repeat(600) }));
      expectInvalid(() => n1.setMeta({ joinedAtMs: Number.NaN }));
      expect(n1.incarnation()).to.equal(0);
    });
  });

  describe('robustness', () => {
    it('garbage from the network is dropped and counted, never thrown, and changes nothing', () => {
      const h = new SwimHarness(21);
      h.cluster(ids(3));
      const n1 = h.node('n1');
      const before = JSON.stringify(n1.members());
      let rejected = 0;
      fc.assert(
        fc.property(fc.oneof(fc.anything(), fc.record({ v: fc.constant(1), from: fc.string(), msgs: fc.array(fc.anything()) })), (junk) => {
          if (typeof parseSwimPacket(junk) === 'string') rejected++;
          if (typeof parsePushPullState(junk, { ...DEFAULT_WIRE_LIMITS, maxMembers: 100_000 }) === 'string') rejected += 2;
          n1.receivePacket('x', junk);
          n1.receivePushPull('x', junk);
          n1.receivePushPullReply('x', junk);
        }),
        { seed: 42, numRuns: 300 },
      );
      expect(rejected).to.be.at.least(890);
      expect(n1.stats().malformedPackets).to.equal(rejected);
      expect(JSON.stringify(n1.members())).to.equal(before);
      expect(n1.lastMalformedReason()).to.be.a('string');
    });

    it('the table is bounded: news of members beyond maxMembers is ignored and counted', () => {
      const clock = new ManualClock(0);
      const n1 = new SwimNode({ id: 'n1', address: 'n1', meta: { joinedAtMs: 0, tags: {} }, config: { ...localConfig(), maxMembers: 3 }, clock, random: new SeededRandom(1) });
      const alive = (id: string): SwimMessage => ({ type: 'alive', member: id, address: id, incarnation: 0, meta: { joinedAtMs: 0, tags: {} } });
      expect(n1.receivePacket('x', packet('x', alive('a'), alive('b'), alive('c'), alive('d')))).to.equal(true);
      expect(n1.members().map((m) => m.id)).to.deep.equal(['n1', 'a', 'b']);
      expect(n1.stats().membersRefused).to.equal(2);
      expect(n1.receivePacket('x', { v: 1, from: 'x', msgs: [{ type: 'alive' }] })).to.equal(false);
    });

    it('every packet stays within maxPacketBytes, and its counted size is the exact UTF-8 length of its JSON', () => {
      const h = new SwimHarness(22, { ...localConfig(), maxPacketBytes: 600, maxMetaBytes: 300 });
      h.cluster(ids(6));
      for (let round = 0; round < 8; round++) {
        for (const id of ids(6)) h.node(id).setTags({ round: String(round), note: 'ü'.repeat(40 + round), id });
        h.advance(150);
      }
      expect(h.sent.length).to.be.above(100);
      expect(h.sent.some((p) => p.packet.msgs.length > 2)).to.equal(true);
      for (const p of h.sent) {
        expect(p.bytes).to.equal(Buffer.byteLength(JSON.stringify(p.packet)));
        expect(p.bytes).to.be.at.most(600);
      }
    });

    it('nextDeadlineMs tells the driver when to wake: ticking earlier does nothing', () => {
      const h = new SwimHarness(23);
      h.cluster(ids(3));
      h.advance(1000);
      const n1 = h.node('n1');
      n1.drain();
      const due = n1.nextDeadlineMs();
      expect(due).to.be.above(h.clock.monotonicMs());
      h.clock.set(Math.max(h.clock.monotonicMs(), Math.ceil(due) - 1));
      if (h.clock.monotonicMs() < due) {
        n1.tick();
        expect(n1.drain().packets).to.deep.equal([]);
      }
      h.clock.set(Math.ceil(due));
      n1.tick();
      const d = n1.drain();
      expect(d.packets.length + d.events.length).to.be.above(0);
    });

    it('the same seed replays the same run bit for bit', () => {
      const run = (seed: number): string => {
        const h = new SwimHarness(seed);
        h.cluster(ids(5));
        h.kill('n5');
        h.node('n2').setTags({ a: 'b' });
        h.advance(4000);
        return JSON.stringify(h.sent.map((p) => [p.from, p.to, p.packet]));
      };
      expect(run(31)).to.equal(run(31));
      expect(run(31)).to.not.equal(run(32));
    });
  });
});
