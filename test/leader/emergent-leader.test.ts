import { expect } from 'chai';
import { emergentLeader, explainLeader, leaderAgreement, type LeaderCandidate } from '../../src/leader/emergent-leader.js';
import type { MemberState } from '../../src/swim/membership-table.js';

const m = (id: string, joinedAtMs: number, state: MemberState = 'alive', address?: string): LeaderCandidate => ({ id, state, meta: { joinedAtMs }, address });

describe('emergent leader', () => {
  it('Emergent Leader: the oldest member the view holds alive leads', () => {
    expect(emergentLeader([m('n3', 300), m('n1', 100), m('n2', 200)])).to.equal('n1');
  });

  it('Emergent Leader: equal join times are broken by id', () => {
    expect(emergentLeader([m('n2', 100), m('n10', 100), m('n3', 100)])).to.equal('n10');
  });

  it('Emergent Leader: suspect, dead and left members are passed over', () => {
    const view = [m('n1', 100, 'dead'), m('n2', 200, 'suspect'), m('n3', 300, 'left'), m('n4', 400), m('n5', 500)];
    expect(emergentLeader(view)).to.equal('n4');
    const why = explainLeader(view);
    expect(why.leader).to.equal('n4');
    expect(why.passedOver.map((p) => [p.id, p.state])).to.deep.equal([
      ['n1', 'dead'],
      ['n2', 'suspect'],
      ['n3', 'left'],
    ]);
    expect(why.ranking.map((r) => r.id)).to.deep.equal(['n4', 'n5']);
  });

  it('nobody alive means no leader; a missing join time ranks last', () => {
    expect(emergentLeader([])).to.equal(undefined);
    expect(emergentLeader([m('n1', 1, 'dead')])).to.equal(undefined);
    expect(emergentLeader([m('n1', Number.NaN), m('n2', 5)])).to.equal('n2');
  });

  it("Akka's rule: the first alive member by address", () => {
    const view = [m('n1', 1, 'alive', '10.0.0.9:7000'), m('n2', 2, 'alive', '10.0.0.1:7000'), m('n3', 3, 'dead', '10.0.0.0:7000')];
    expect(emergentLeader(view, 'lowest-address')).to.equal('n2');
    expect(emergentLeader(view, 'oldest')).to.equal('n1');
  });

  it('views that agree name one leader', () => {
    const view = [m('n1', 100), m('n2', 200), m('n3', 300)];
    const a = leaderAgreement({ n1: view, n2: view, n3: view });
    expect(a).to.deep.equal({
      isAgreed: true,
      leader: 'n1',
      namedBy: { n1: 'n1', n2: 'n1', n3: 'n1' },
      groups: [{ leader: 'n1', nodes: ['n1', 'n2', 'n3'] }],
    });
  });

  it('under a partition each side may name its own leader, and the helper says so', () => {
    const sideA = [m('n1', 100), m('n2', 200), m('n3', 300, 'dead'), m('n4', 400, 'dead'), m('n5', 500, 'dead')];
    const sideB = [m('n1', 100, 'dead'), m('n2', 200, 'dead'), m('n3', 300), m('n4', 400), m('n5', 500)];
    const a = leaderAgreement(new Map([['n1', sideA], ['n2', sideA], ['n3', sideB], ['n4', sideB], ['n5', sideB]]));
    expect(a.isAgreed).to.equal(false);
    expect(a.leader).to.equal(undefined);
    expect(a.groups).to.deep.equal([
      { leader: 'n3', nodes: ['n3', 'n4', 'n5'] },
      { leader: 'n1', nodes: ['n1', 'n2'] },
    ]);
  });

  it('views where nobody is alive do not count as agreement', () => {
    expect(leaderAgreement({ n1: [], n2: [] }).isAgreed).to.equal(false);
    expect(leaderAgreement({}).isAgreed).to.equal(false);
  });
});
