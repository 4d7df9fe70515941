import { expect } from 'chai';
import { compileFaults } from '../../../src/faults/faults.js';
import { combineRules, type LinkFilterConfig, type LinkRule } from '../../../src/net/link-filter.js';
import { SeededRandom } from '../../../src/random/random.js';
import { EventQueue } from '../../../src/sim/kernel/event-queue.js';
import { faultsOnEveryLink, type LinkFault } from '../../../src/sim/kernel/link-faults.js';
import { SimKernel } from '../../../src/sim/kernel/sim-kernel.js';
import { SimNetwork } from '../../../src/sim/kernel/sim-network.js';

const LAN = { kind: 'uniform', minMs: 2, maxMs: 4 } as const;

function network(seed: number, latency: ConstructorParameters<typeof SimNetwork>[2] = LAN): SimNetwork {
  return new SimNetwork(new SimKernel(), new SeededRandom(seed), latency);
}

/** Sends `n` messages from → to and runs the kernel; returns the arrival order of those that arrived. */
function sendMany(net: SimNetwork, from: string, to: string, n: number, ordered: boolean): { arrived: number[]; sent: number } {
  const arrived: number[] = [];
  let sent = 0;
  for (let i = 0; i < n; i++) {
    sent += net.send(from, to, ordered, (ok) => {
      if (ok) arrived.push(i);
    });
  }
  while (net.kernel.runNext());
  return { arrived, sent };
}

/** A rule with every field present, for comparing rules that differ only in which zero fields they leave out. */
function normal(r: LinkRule | undefined): Required<LinkRule> {
  return { drop: r?.drop ?? false, delayMs: r?.delayMs ?? 0, jitterMs: r?.jitterMs ?? 0, loss: r?.loss ?? 0, duplicate: r?.duplicate ?? 0 };
}

/** What the link from → to does in a cluster run by `ccm chaos`: x's outbound rule for y, then y's inbound rule for x. */
function chaosRule(configs: Record<string, LinkFilterConfig>, from: string, to: string): LinkRule | undefined {
  const out = configs[from].peers;
  const inb = configs[to].peers;
  return combineRules(combineRules(out['*']?.out, out[to]?.out), combineRules(inb['*']?.in, inb[from]?.in));
}

describe('sim/kernel: one agenda and one network for every simulation', () => {
  it('events run in time order, ties in insertion order', () => {
    const q = new EventQueue<string>();
    q.push(5, 'c');
    q.push(1, 'a');
    q.push(5, 'd');
    q.push(3, 'b');
    q.push(1, 'a2');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.item);
    expect(out).to.deep.equal(['a', 'a2', 'b', 'c', 'd']);
    expect(q.peekTime()).to.equal(Infinity);
  });

  it('two protocols sharing a kernel interleave on one clock, in the order they scheduled, and never go back in time', () => {
    const kernel = new SimKernel();
    const log: string[] = [];
    const every = (name: string, periodMs: number): void => {
      const run = (): void => {
        log.push(`${kernel.nowMs} ${name}`);
        if (kernel.nowMs < 20) kernel.at(kernel.nowMs + periodMs, run);
      };
      kernel.at(0, run);
    };
    every('raft', 10);
    every('swim', 5);
    kernel.runUntil(12);
    kernel.at(3, () => log.push(`${kernel.nowMs} late`)); // in the past: runs now, after what is already due now
    kernel.runUntil(100);
    expect(log).to.deep.equal(['0 raft', '0 swim', '5 swim', '10 raft', '10 swim', '12 late', '15 swim', '20 raft', '20 swim']);
    expect(kernel.nowMs).to.equal(100);
    expect(kernel.clock.monotonicMs()).to.equal(100);
    expect(kernel.steps).to.equal(9);
  });

  it('loss, duplication and delay on every link act at about their rates, in the link filter\'s words', () => {
    const net = network(1);
    for (const f of faultsOnEveryLink({ loss: 0.25, duplicate: 0.1, delayMs: 50 })) net.add(f);
    expect(net.faults().map((f) => f.kind)).to.deep.equal(['delay', 'loss', 'duplicate']);
    let copies = 0;
    let lost = 0;
    for (let i = 0; i < 10_000; i++) {
      const c = net.send('a', 'b', false, () => {});
      copies += c;
      if (c === 0) lost++;
    }
    expect(lost / 10_000).to.be.closeTo(0.25, 0.02);
    expect((copies - (10_000 - lost)) / (10_000 - lost)).to.be.closeTo(0.1, 0.02);
    const t0 = net.kernel.nowMs;
    net.kernel.runNext();
    expect(net.kernel.nowMs - t0).to.be.within(52, 54);
    expect(() => faultsOnEveryLink({ drop: true })).to.throw(RangeError);
    expect(() => net.add({ kind: 'loss', a: '*', b: '*', rate: 1.5 })).to.throw(RangeError);
  });

  it('a partition cuts links both ways (a node in no group is a bridge), drops what is in flight, and keeps its history', () => {
    const net = network(2);
    const kernel = net.kernel;
    kernel.runUntil(100);
    let inFlight: boolean | undefined;
    net.send('a', 'b', false, (ok) => (inFlight = ok));
    const id = net.add({ kind: 'partition', groups: [['a'], ['b', 'c']] });
    expect([net.canReach('a', 'b'), net.canReach('c', 'a'), net.canReach('b', 'c'), net.canReach('a', 'x'), net.canReach('x', 'b')]).to.deep.equal([false, false, true, true, true]);
    expect(net.send('a', 'c', false, () => {})).to.equal(0);
    kernel.runUntil(150);
    expect(inFlight, 'sent before the cut, arrives after it').to.equal(false);
    net.remove(id);
    kernel.runUntil(200);
    expect(net.canReach('a', 'b')).to.equal(true);
    expect(net.isPartitioned()).to.equal(false);
    expect(net.wereSeparated('a', 'b', 120, 160)).to.equal(true);
    expect(net.wereSeparated('b', 'a', 151, 300)).to.equal(false);
    expect(net.wereSeparated('b', 'c', 0, 300)).to.equal(false);
    expect(net.wasPartitioned(0, 99)).to.equal(false);
    expect(net.wasPartitioned(0, 100)).to.equal(true);
    net.add({ kind: 'one-way', from: 'a', to: 'b' });
    expect([net.canReach('a', 'b'), net.canReach('b', 'a')]).to.deep.equal([false, true]);
    net.heal();
    expect(net.faults()).to.deep.equal([]);
  });

  it('an ordered path never lets a message overtake one sent before it, even under jitter; an unordered one does', () => {
    const jittery = (): SimNetwork => {
      const net = network(3, { kind: 'exponential', minMs: 1, meanMs: 4 });
      net.add({ kind: 'delay', a: '*', b: '*', delayMs: 0, jitterMs: 200 });
      return net;
    };
    const ordered = sendMany(jittery(), 'a', 'b', 200, true).arrived;
    expect(ordered).to.deep.equal([...ordered].sort((x, y) => x - y));
    const unordered = sendMany(jittery(), 'a', 'b', 200, false).arrived;
    expect(unordered).to.have.length(200);
    expect(unordered).to.not.deep.equal([...unordered].sort((x, y) => x - y));
  });

  it('a seed replays: the same sends give the same arrivals at the same times', () => {
    const run = (): string[] => {
      const net = network(4, { kind: 'exponential', minMs: 1, meanMs: 3 });
      for (const f of faultsOnEveryLink({ loss: 0.2, duplicate: 0.2, jitterMs: 30 })) net.add(f);
      const out: string[] = [];
      for (let i = 0; i < 100; i++) net.send(`n${i % 3}`, `n${(i + 1) % 3}`, i % 2 === 0, () => out.push(`${i}@${net.kernel.nowMs}`));
      while (net.kernel.runNext());
      return out;
    };
    expect(run()).to.deep.equal(run());
  });

  it('every link carries the rule `ccm chaos` would give it (checked against compileFaults on random fault sets)', () => {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const r = new SeededRandom(5);
    const node = (star: boolean): string => (star && r.next() < 0.3 ? '*' : ids[r.int(0, ids.length - 1)]);
    const randomFault = (): LinkFault | undefined => {
      const shuffled = [...ids].sort(() => r.next() - 0.5);
      const [a, b] = [node(true), node(true)];
      switch (r.int(0, 5)) {
        case 0: {
          const cut = r.int(1, 4);
          return { kind: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut, r.int(cut + 1, ids.length))] };
        }
        case 1:
          return { kind: 'majority-ring', ring: shuffled.slice(0, r.int(4, ids.length)) };
        case 2: {
          const [from, to] = [node(false), node(false)];
          return from === to ? undefined : { kind: 'one-way', from, to };
        }
        case 3:
          return a === b && a !== '*' ? undefined : { kind: 'delay', a, b, delayMs: r.int(0, 100), jitterMs: r.int(0, 1) * r.int(1, 50) };
        case 4:
          return a === b && a !== '*' ? undefined : { kind: 'loss', a, b, rate: r.next() };
        default:
          return a === b && a !== '*' ? undefined : { kind: 'duplicate', a, b, rate: r.next() };
      }
    };
    let cut = 0;
    let degraded = 0;
    for (let round = 0; round < 200; round++) {
      const faults: LinkFault[] = [];
      for (let i = r.int(1, 4); i > 0; i--) {
        const f = randomFault();
        if (f !== undefined) faults.push(f);
      }
      const net = network(round);
      for (const f of faults) net.add(f);
      const configs = compileFaults(faults, ids);
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue;
          const mine = normal(net.ruleOn(from, to));
          const theirs = normal(chaosRule(configs, from, to));
          const where = `${from}>${to} under ${JSON.stringify(faults)}`;
          expect(mine.drop, where).to.equal(theirs.drop);
          if (mine.drop) {
            cut++;
            continue; // a cut link drops everything; what else it carries does not matter
          }
          if (mine.loss > 0 || mine.delayMs > 0 || mine.duplicate > 0) degraded++;
          expect(mine.delayMs, where).to.equal(theirs.delayMs);
          expect(mine.jitterMs, where).to.equal(theirs.jitterMs);
          expect(mine.loss, where).to.be.closeTo(theirs.loss, 1e-12);
          expect(mine.duplicate, where).to.be.closeTo(theirs.duplicate, 1e-12);
        }
      }
    }
    expect(cut, 'some links were cut').to.be.above(100);
    expect(degraded, 'some links were degraded').to.be.above(100);
  });
});
