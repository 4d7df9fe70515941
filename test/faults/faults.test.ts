import { expect } from 'chai';
import { compileFaults, describeFault, majorityRingReach, ringConnected, validateFault } from '../../src/faults/faults.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { parseClockRate } from '../../src/faults/fault-args.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('faults compile into per-node link filters', () => {
  it('a partition drops both ways between groups and nothing within a group', () => {
    const c = compileFaults([{ kind: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] }], ids);
    expect(c.n1.peers.n3).to.deep.equal({ out: { drop: true }, in: { drop: true } });
    expect(c.n3.peers.n1).to.deep.equal({ out: { drop: true }, in: { drop: true } });
    expect(c.n1.peers.n2).to.equal(undefined);
    expect(c.n4.peers.n5).to.equal(undefined);
  });

  it('a node named in no group is a bridge', () => {
    const c = compileFaults([{ kind: 'partition', groups: [['n1'], ['n2']] }], ids);
    expect(c.n3.peers).to.deep.equal({});
    expect(c.n1.peers.n3).to.equal(undefined);
  });

  it('one-way cuts only one direction, at both ends', () => {
    const c = compileFaults([{ kind: 'one-way', from: 'n1', to: 'n2' }], ids);
    expect(c.n1.peers.n2).to.deep.equal({ out: { drop: true } });
    expect(c.n2.peers.n1).to.deep.equal({ in: { drop: true } });
  });

  it('loss on every link applies once per direction, at the sender', () => {
    const c = compileFaults([{ kind: 'loss', a: '*', b: '*', rate: 0.1 }], ids);
    for (const x of ids) for (const y of ids) if (x !== y) expect(c[x].peers[y]).to.deep.equal({ out: { loss: 0.1 } });
  });

  it('rejects unknown nodes and a node named twice, without partial effect', () => {
    expect(() => validateFault({ kind: 'partition', groups: [['n1', 'n1'], ['n2']] }, ids)).to.throw(CcmError, /more than once/);
    expect(() => validateFault({ kind: 'partition', groups: [['n1'], ['n9']] }, ids)).to.throw(CcmError, /unknown node "n9"/);
    expect(() => validateFault({ kind: 'partition', groups: [['n1', 'n2']] }, ids)).to.throw(CcmError, /two groups/);
    expect(() => validateFault({ kind: 'one-way', from: 'n1', to: 'n1' }, ids)).to.throw(CcmError);
  });

  it('describes faults in words', () => {
    expect(describeFault({ kind: 'partition', groups: [['n1', 'n2'], ['n3']] })).to.equal('partition: {n1,n2} | {n3} cannot reach each other');
    expect(describeFault({ kind: 'loss', a: '*', b: '*', rate: 0.05 })).to.equal('loss 5% on every link');
  });
});

describe('majority ring, kill and skew faults', () => {
  it('a majority ring of 5 cuts each node from the 2 farthest on the ring, both ways', () => {
    const ring = ['n1', 'n3', 'n5', 'n2', 'n4'];
    const c = compileFaults([{ kind: 'majority-ring', ring }], ids);
    // n1's ring neighbours are n4 and n3: it keeps those, loses n5 and n2
    expect(Object.keys(c.n1.peers).sort()).to.deep.equal(['n2', 'n5']);
    expect(c.n1.peers.n5).to.deep.equal({ out: { drop: true }, in: { drop: true } });
    for (const id of ids) {
      const reached = ids.filter((o) => o !== id && c[id].peers[o] === undefined);
      expect(reached.length + 1, `${id} sees a majority`).to.equal(3);
    }
    const views = ids.map((id) => [id, ...ids.filter((o) => o !== id && c[id].peers[o] === undefined)].sort().join());
    expect(new Set(views).size, 'no two nodes see the same majority').to.equal(5);
  });

  it('majorityRingReach: the fewest ring steps that make a majority', () => {
    expect([4, 5, 6, 7, 9].map(majorityRingReach)).to.deep.equal([1, 1, 2, 2, 2]);
    expect(ringConnected(['a', 'b', 'c', 'd', 'e'], 'a', 'e')).to.equal(true);
    expect(ringConnected(['a', 'b', 'c', 'd', 'e'], 'a', 'c')).to.equal(false);
  });

  it('kill and skew compile into no link rule', () => {
    const c = compileFaults([{ kind: 'kill', node: 'n2' }, { kind: 'skew', node: 'n3', offsetMs: 3000 }], ids);
    for (const id of ids) expect(c[id].peers).to.deep.equal({});
  });

  it('rejects bad rings, rates, delays and offsets', () => {
    expect(() => validateFault({ kind: 'majority-ring', ring: ['n1', 'n2', 'n3'] }, ids)).to.throw(CcmError, /at least 4/);
    expect(() => validateFault({ kind: 'majority-ring', ring: ['n1', 'n2', 'n3', 'n3'] }, ids)).to.throw(CcmError, /more than once/);
    expect(() => validateFault({ kind: 'majority-ring', ring: ['n1', 'n2', 'n3', 'n9'] }, ids)).to.throw(CcmError, /unknown node "n9"/);
    expect(() => validateFault({ kind: 'loss', a: '*', b: '*', rate: 1.5 }, ids)).to.throw(CcmError, /0% to 100%/);
    expect(() => validateFault({ kind: 'duplicate', a: 'n1', b: 'n2', rate: -0.1 }, ids)).to.throw(CcmError, /0% to 100%/);
    expect(() => validateFault({ kind: 'delay', a: '*', b: '*', delayMs: 61_000, jitterMs: 0 }, ids)).to.throw(CcmError, /delay/);
    expect(() => validateFault({ kind: 'skew', node: 'n1', offsetMs: 2 * 86_400_000 }, ids)).to.throw(CcmError, /1 day/);
    expect(() => validateFault({ kind: 'kill', node: 'n7' }, ids)).to.throw(CcmError, /unknown node "n7"/);
    expect(() => validateFault({ kind: 'clock-rate', node: 'n1', rate: 50 }, ids)).to.throw(CcmError, /0.1x to 10x/);
    expect(() => validateFault({ kind: 'clock-rate', node: 'n9', rate: 2 }, ids)).to.throw(CcmError, /unknown node "n9"/);
    expect(parseClockRate('2x')).to.equal(2);
    expect(parseClockRate('0.5x')).to.equal(0.5);
    expect(parseClockRate('1')).to.equal(1);
    for (const bad of ['fast', '0x', '-2x', '20x', '']) expect(() => parseClockRate(bad), bad).to.throw(CcmError, /2x, 0.5x or 1x/);
    expect(() => validateFault({ kind: 'loss', a: '*', b: '*', rate: 1 }, ids)).to.not.throw();
  });

  it('describes them in words', () => {
    expect(describeFault({ kind: 'skew', node: 'n4', offsetMs: 3000 })).to.equal('clock of n4 ahead by 3 s');
    expect(describeFault({ kind: 'skew', node: 'n4', offsetMs: -500 })).to.equal('clock of n4 behind by 500 ms');
    expect(describeFault({ kind: 'kill', node: 'n2' })).to.match(/^n2 killed \(SIGKILL\)/);
    expect(describeFault({ kind: 'clock-rate', node: 'n1', rate: 2 })).to.equal('timers of n1 run 2x fast (its monotonic clock and lease TTLs)');
    expect(describeFault({ kind: 'majority-ring', ring: ['n1', 'n2', 'n3', 'n4', 'n5'] })).to.match(/^majority ring n1-n2-n3-n4-n5: each node reaches only its 2 nearest/);
  });
});
