import { expect } from 'chai';
import { LeaseExpiry } from '../../src/core/lease-expiry.js';

const lease = (id: number, renewals: number) => ({ id, ttlMs: 1000, grantedRevision: 1, grantedAtMs: 0, renewedAtMs: 0, renewals, owner: '', secretHash: '' });

describe('lease expiry: each voter keeps deadlines by its own clock', () => {
  it('a follower confirms a lease overdue only when its own deadline passed at the renewal count the leader saw', () => {
    const e = new LeaseExpiry();
    e.touched(lease(1, 0), 0);
    expect(e.isOverdue(1, 0, 999), 'not yet by this clock').to.equal(false);
    expect(e.isOverdue(1, 0, 1000)).to.equal(true);
    expect(e.isOverdue(1, 1, 5000), 'the leader saw a renewal this voter has not applied').to.equal(false);
    e.touched(lease(1, 1), 4500);
    expect(e.isOverdue(1, 0, 5000), 'renewed here since the leader decided').to.equal(false);
    expect(e.isOverdue(2, 0, 5000), 'a grant not applied here').to.equal(false);
    expect(e.due(5600, 1000)).to.deep.equal([{ id: 1, renewals: 1 }]);
  });
});
