import { expect } from 'chai';
import { CcmClient } from '../../src/client/ccm-client.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/**
 * A client made from bare addresses (CCM_ENDPOINTS, as `eval "$(ccm env)"` gives a script) learns which address is
 * the leader from the answers and sends there: a paused follower listed first, or a stopped one listed before the
 * leader, holds up nothing.
 */
describe('client from CCM_ENDPOINTS finds the leader (real processes)', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => expectNoProcessLeft(fx));

  it('writes go to the leader, not to the first address given', async () => {
    await fx.json('up', '--nodes', '3');
    const leader = (await waitFor('a leader', async () => (await fx.json('core', 'status')).leader as string | null))!;
    const env = Object.fromEntries([...(await fx.ccm('env')).stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const nodes: { id: string; ports: { http: number } }[] = fx.clusterFile().nodes;
    const followers = nodes.filter((n) => n.id !== leader);
    const ordered = [followers[0], nodes.find((n) => n.id === leader)!, followers[1]];
    const client = CcmClient.fromEnv({ CCM_ENDPOINTS: ordered.map((n) => `http://127.0.0.1:${n.ports.http}`).join(','), CCM_TOKEN: env.CCM_TOKEN });
    // The first answer (from the first address, a follower) names the leader; the next call finds its address.
    await client.put('/client/warm', '1');
    await client.put('/client/warm', '2');
    expect(client.knownLeader()).to.equal(leader);
    // A follower paused: a write sent to it would wait out its timeout; sent to the leader, it commits with the other follower.
    expect((await fx.ccm('node', 'pause', followers[0].id)).exitCode).to.equal(0);
    try {
      for (let i = 0; i < 5; i++) await client.put(`/client/k${i}`, 'v', { timeoutMs: 3000 });
    } finally {
      await fx.ccm('node', 'resume', followers[0].id);
    }
    // A stopped follower listed before the leader: the client, told the leader's name by the first answer, tries
    // the addresses it has not heard from; one that refuses is passed over, not retried until the deadline.
    expect((await fx.ccm('node', 'stop', followers[1].id)).exitCode).to.equal(0);
    const late = CcmClient.fromEnv({ CCM_ENDPOINTS: [followers[0], followers[1], nodes.find((n) => n.id === leader)!].map((n) => `http://127.0.0.1:${n.ports.http}`).join(','), CCM_TOKEN: env.CCM_TOKEN });
    for (let i = 0; i < 3; i++) await late.put(`/client/late${i}`, 'v', { timeoutMs: 3000 });
    expect(late.knownLeader()).to.equal(leader);
    await fx.ccm('down');
  });
});
