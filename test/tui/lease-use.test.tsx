import { expect } from 'chai';
import type { LockStatsView } from '../../src/api/api-types.js';
import { render } from 'ink-testing-library';
import { leaseRows } from '../../src/tui/dashboard-source.js';
import { LeasesPanel } from '../../src/tui/side-panels.js';
import { leasesView } from '../../src/tui/status-model.js';
import { T0, snapshot } from './snapshot-fixtures.js';

describe('tui: the lease panel shows utilization when the leader\'s figures come', () => {
  const lock = { resource: 'db', holder: 'w2', lease: 9, token: 41, ttlMs: 10_000, ttlLeftMs: 9_000, renewals: 0, grantedAtMs: 0, renewedAtMs: 0, waiting: [] };

  it('rows carry the share held and the grants; a USE column appears only then', () => {
    const stats = { resource: 'db', heldFraction: 0.634, grants: 12 } as LockStatsView;
    const withUse = leasesView(snapshot({ leases: leaseRows([lock], [stats]) }), T0);
    expect(withUse.rows[0].use).to.equal('63% 12×');
    const frame = render(<LeasesPanel leases={withUse} width={48} height={4} />).lastFrame() ?? '';
    expect(frame).to.match(/USE/);
    expect(frame).to.include('63% 12×');
    const plain = leasesView(snapshot({ leases: leaseRows([lock]) }), T0);
    expect(plain.rows[0].use).to.equal(undefined);
    expect(render(<LeasesPanel leases={plain} width={48} height={4} />).lastFrame()).to.not.match(/USE/);
  });
});
