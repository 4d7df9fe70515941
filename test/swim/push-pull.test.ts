import { expect } from 'chai';
import { MembershipTable } from '../../src/swim/membership-table.js';
import { DEFAULT_WIRE_LIMITS } from '../../src/swim/messages.js';
import { buildPushPullState, parsePushPullState, pushPullScale, reconnectProbability, remoteStateToMessages, type PushPullState } from '../../src/swim/push-pull.js';

const meta = { joinedAtMs: 0, tags: {} };
const limits = { ...DEFAULT_WIRE_LIMITS, maxMembers: 100 };

describe('push-pull (anti-entropy)', () => {
  it('merging: alive stays alive, left is a dead message from the member itself, and a remote dead is only a suspicion (memberlist mergeState)', () => {
    const state: PushPullState = {
      v: 1,
      from: 'n9',
      join: false,
      members: [
        { id: 'a', address: 'a', state: 'alive', incarnation: 2, meta },
        { id: 'b', address: 'b', state: 'suspect', incarnation: 3, meta },
        { id: 'c', address: 'c', state: 'dead', incarnation: 4, meta },
        { id: 'd', address: 'd', state: 'left', incarnation: 5, meta },
      ],
    };
    expect(remoteStateToMessages(state)).to.deep.equal([
      { type: 'alive', member: 'a', address: 'a', incarnation: 2, meta },
      { type: 'suspect', member: 'b', incarnation: 3, from: 'n9' },
      { type: 'suspect', member: 'c', incarnation: 4, from: 'n9' },
      { type: 'dead', member: 'd', incarnation: 5, from: 'd' },
    ]);
  });

  it('our state lists every member in every state, and parses back', () => {
    const t = new MembershipTable();
    t.set({ id: 'me', address: 'me', state: 'alive', incarnation: 1, meta, stateChangedAtMs: 0 });
    t.set({ id: 'x', address: 'x', state: 'dead', incarnation: 7, meta, stateChangedAtMs: 0 });
    const s = buildPushPullState('me', t, true);
    expect(s).to.deep.include({ v: 1, from: 'me', join: true });
    expect(s.members.map((m) => [m.id, m.state, m.incarnation])).to.deep.equal([
      ['me', 'alive', 1],
      ['x', 'dead', 7],
    ]);
    expect(parsePushPullState(JSON.parse(JSON.stringify(s)), limits)).to.deep.equal(s);
  });

  it('rejects malformed states with a reason', () => {
    const bad: unknown[] = [
      null,
      { v: 1, from: 'n1', join: 'yes', members: [] },
      { v: 1, from: 'n1', join: false, members: [{ id: 'a', address: 'a', state: 'zombie', incarnation: 0, meta }] },
      { v: 1, from: 'n1', join: false, members: [{ id: 'a', address: 'a', state: 'alive', incarnation: -1, meta }] },
      { v: 1, from: 'n1', join: false, members: [{ id: 'a', address: 'a', state: 'alive', incarnation: 0, meta: { tags: {} } }] },
      { v: 1, from: 'n1', join: false, members: new Array(101).fill({ id: 'a', address: 'a', state: 'alive', incarnation: 0, meta }) },
    ];
    for (const b of bad) expect(parsePushPullState(b, limits), JSON.stringify(b)?.slice(0, 80)).to.be.a('string');
  });

  it('the period scales with the cluster above 32 members (memberlist pushPullScale)', () => {
    expect(pushPullScale(30_000, 1)).to.equal(30_000);
    expect(pushPullScale(30_000, 32)).to.equal(30_000);
    expect(pushPullScale(30_000, 33)).to.equal(60_000);
    expect(pushPullScale(30_000, 64)).to.equal(60_000);
    expect(pushPullScale(30_000, 65)).to.equal(90_000);
    expect(pushPullScale(30_000, 10_000)).to.equal(300_000);
  });

  it('reconnect tries a dead member with probability numDead / numAlive (Serf)', () => {
    expect(reconnectProbability(0, 10)).to.equal(0);
    expect(reconnectProbability(2, 10)).to.equal(0.2);
    expect(reconnectProbability(20, 10)).to.equal(1);
    expect(reconnectProbability(3, 0)).to.equal(1);
  });
});
