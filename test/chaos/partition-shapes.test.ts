import { expect } from 'chai';
import { bridge, halves, isolate, majorityRing, partitionFault } from '../../src/chaos/partition-shapes.js';
import { compileFaults, validateFault } from '../../src/faults/faults.js';
import { SeededRandom } from '../../src/random/random.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('partition shapes (Jepsen nemesis vocabulary)', () => {
  it('halves: every node in exactly one half, the smaller first; a seed picks the same halves', () => {
    for (let seed = 0; seed < 20; seed++) {
      const [a, b] = halves(ids, new SeededRandom(seed));
      expect([a.length, b.length]).to.deep.equal([2, 3]);
      expect([...a, ...b].sort()).to.deep.equal(ids);
      expect(halves(ids, new SeededRandom(seed))).to.deep.equal([a, b]);
    }
    expect(halves(ids)).to.deep.equal([['n1', 'n2'], ['n3', 'n4', 'n5']]);
  });

  it('isolate: one node alone', () => {
    expect(isolate('n3', ids)).to.deep.equal([['n3'], ['n1', 'n2', 'n4', 'n5']]);
  });

  it('bridge: two halves cut from each other, one node in neither reaches both', () => {
    const { groups, bridge: middle } = bridge(ids, new SeededRandom(4));
    expect(groups.flat()).to.not.include(middle);
    expect([...groups.flat(), middle].sort()).to.deep.equal(ids);
    const c = compileFaults([{ kind: 'partition', groups }], ids);
    expect(c[middle].peers).to.deep.equal({});
    expect(c[groups[0][0]].peers[groups[1][0]]).to.deep.equal({ out: { drop: true }, in: { drop: true } });
  });

  it('every shape gives a fault the validator accepts, for 4 to 7 nodes', () => {
    for (const n of [4, 5, 6, 7]) {
      const nodes = ids.concat(['n6', 'n7']).slice(0, n);
      for (const shape of ['halves', 'isolate', 'bridge', 'majority-ring'] as const) {
        for (let seed = 0; seed < 10; seed++) expect(() => validateFault(partitionFault(shape, nodes, new SeededRandom(seed)), nodes)).to.not.throw();
      }
    }
  });

  it('a majority ring needs 4 nodes', () => {
    expect(() => majorityRing(['n1', 'n2', 'n3'])).to.throw(RangeError);
    expect(majorityRing(ids, new SeededRandom(1)).sort()).to.deep.equal(ids);
  });
});
