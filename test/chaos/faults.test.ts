import { expect } from 'chai';
import { compileFaults, describeFault, validateFault } from '../../src/chaos/faults.js';
import { CcmError } from '../../src/client/api-errors.js';

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
