import { expect } from 'chai';
import { DEFAULT_RAFT_CONFIG, MemoryStorage, RaftArgumentError, RawNode, localClusterRaftConfig, resolveRaftConfig } from '../../src/raft/index.js';
import { minRandom } from './raft-test-cluster.js';

describe('raft: RaftConfig validation', () => {
  it('fills the documented defaults', () => {
    const c = resolveRaftConfig({ id: 'a' });
    expect(c).to.deep.equal({ ...DEFAULT_RAFT_CONFIG, id: 'a' });
    expect([c.electionTicks, c.heartbeatTicks, c.preVote, c.checkQuorum, c.maxInflightMsgs, c.maxSizePerMsgBytes]).to.deep.equal([
      10, 1, true, true, 256, 1024 * 1024,
    ]);
  });

  it('the local-cluster preset: heartbeat every tick, election timeout 6 ticks (300-600 ms at 50 ms a tick)', () => {
    const c = localClusterRaftConfig('n1');
    expect([c.id, c.heartbeatTicks, c.electionTicks]).to.deep.equal(['n1', 1, 6]);
    expect(localClusterRaftConfig('n1', { checkQuorum: false }).checkQuorum).to.equal(false);
  });

  const bad: [string, object, RegExp][] = [
    ['empty id', { id: '' }, /id must be a non-empty string/],
    ['heartbeat 0', { id: 'a', heartbeatTicks: 0 }, /heartbeatTicks must be an integer in \[1, /],
    ['election <= heartbeat', { id: 'a', electionTicks: 3, heartbeatTicks: 3 }, /electionTicks must be an integer in \[4, /],
    ['fractional inflight', { id: 'a', maxInflightMsgs: 1.5 }, /maxInflightMsgs must be an integer/],
    ['negative applied', { id: 'a', applied: -1 }, /applied must be an integer in \[0, /],
    ['non-boolean preVote', { id: 'a', preVote: 'yes' }, /preVote must be a boolean/],
    ['zero message size', { id: 'a', maxSizePerMsgBytes: 0 }, /maxSizePerMsgBytes/],
  ];
  for (const [what, cfg, msg] of bad) {
    it(`rejects ${what}, naming the field and its legal range`, () => {
      expect(() => resolveRaftConfig(cfg as never)).to.throw(RaftArgumentError, msg);
    });
  }

  it('rejects an applied index beyond the durable commit index at construction', () => {
    expect(() => new RawNode({ id: 'a', applied: 5 }, new MemoryStorage({ voters: ['a'], learners: [] }), minRandom)).to.throw(
      RaftArgumentError,
      /applied 5 is beyond the committed index 0/,
    );
  });
});
