import { expect } from 'chai';
import { SeededRandom } from '../../src/random/random.js';
import { judgeAlive, judgeDead, judgeSuspect, MembershipTable, refutationIncarnation, Roster, type MemberView } from '../../src/swim/membership-table.js';
import { jsonEquals } from '../../src/swim/messages.js';

const meta = (joinedAtMs = 0, tags: Record<string, string> = {}) => ({ joinedAtMs, tags });
const member = (id: string, patch: Partial<MemberView> = {}): MemberView => ({
  id,
  address: id,
  state: 'alive',
  incarnation: 0,
  meta: meta(),
  stateChangedAtMs: 0,
  ...patch,
});

describe('membership table', () => {
  it('keeps counts of members present and active (alive or suspect)', () => {
    const t = new MembershipTable();
    t.set(member('a'));
    t.set(member('b'));
    t.set(member('c', { state: 'suspect' }));
    expect([t.size, t.active]).to.deep.equal([3, 3]);
    t.set(member('b', { state: 'dead' }));
    expect([t.size, t.active]).to.deep.equal([3, 2]);
    expect([...t.inactive()]).to.deep.equal(['b']);
    t.remove('b');
    t.remove('zzz');
    expect([t.size, t.active, t.get('b')]).to.deep.equal([2, 2, undefined]);
  });

  it('a shared roster is copy-on-write: one table changing a member does not change another', () => {
    const roster = Roster.alive(['a', 'b', 'c'].map((id) => ({ id, address: id, meta: meta() })));
    const t1 = new MembershipTable(roster);
    const t2 = new MembershipTable(roster);
    t1.set(member('b', { state: 'dead', incarnation: 3 }));
    t1.remove('c');
    t1.set(member('d'));
    expect(t1.get('b')?.state).to.equal('dead');
    expect(t2.get('b')?.state).to.equal('alive');
    expect(t2.get('c')?.state).to.equal('alive');
    expect(t1.all().map((m) => m.id)).to.deep.equal(['a', 'b', 'd']);
    expect([t1.size, t1.active, t2.size, t2.active]).to.deep.equal([3, 2, 3, 3]);
  });

  it('slots stay consistent when members learnt later are removed (swap-remove)', () => {
    const t = new MembershipTable();
    for (const id of ['a', 'b', 'c', 'd']) t.set(member(id));
    t.remove('b');
    const seen = new Set<string>();
    for (let s = 0; s < t.slotCount(); s++) {
      const m = t.recordAtSlot(s);
      if (m) seen.add(m.id);
    }
    expect([...seen].sort()).to.deep.equal(['a', 'c', 'd']);
  });

  it('random picks are distinct, filtered, and at most k', () => {
    const t = new MembershipTable();
    for (let i = 0; i < 20; i++) t.set(member(`n${i}`, { state: i % 2 === 0 ? 'alive' : 'dead' }));
    const r = new SeededRandom(7);
    for (let round = 0; round < 50; round++) {
      const picked = t.randomMembers(3, r, (m) => m.state === 'alive');
      expect(picked).to.have.length(3);
      expect(new Set(picked.map((m) => m.id)).size).to.equal(3);
      expect(picked.every((m) => m.state === 'alive')).to.equal(true);
    }
    expect(t.randomMembers(5, r, (m) => m.id === 'n0').map((m) => m.id)).to.deep.equal(['n0']);
  });
});

describe('SWIM incarnation rules', () => {
  const same = jsonEquals;

  it('SWIM: alive news about a member is believed only with a higher incarnation', () => {
    const cur = member('n2', { incarnation: 5 });
    expect(judgeAlive(cur, { address: 'n2', incarnation: 5, meta: meta() }, false, false, same)).to.deep.equal({ action: 'ignore', why: 'stale-incarnation' });
    expect(judgeAlive(cur, { address: 'n2', incarnation: 4, meta: meta() }, false, false, same).action).to.equal('ignore');
    expect(judgeAlive(cur, { address: 'n2', incarnation: 6, meta: meta() }, false, false, same)).to.deep.equal({ action: 'apply', isAddressChange: false });
    expect(judgeAlive(undefined, { address: 'n2', incarnation: 0, meta: meta() }, false, false, same)).to.deep.equal({ action: 'add' });
  });

  it('SWIM: a live member claiming a new address is a conflict; a dead one may come back at a new address', () => {
    expect(judgeAlive(member('n2', { incarnation: 1 }), { address: 'x:1', incarnation: 9, meta: meta() }, false, false, same)).to.deep.equal({
      action: 'ignore',
      why: 'address-conflict',
    });
    expect(judgeAlive(member('n2', { incarnation: 5, state: 'dead' }), { address: 'x:1', incarnation: 0, meta: meta() }, false, false, same)).to.deep.equal({
      action: 'apply',
      isAddressChange: true,
    });
  });

  it('SWIM: news of ourselves that is newer, or the same incarnation with other meta (a restart), is refuted', () => {
    const self = member('me', { incarnation: 3, meta: meta(100) });
    expect(judgeAlive(self, { address: 'me', incarnation: 2, meta: meta(1) }, true, false, same).action).to.equal('ignore');
    expect(judgeAlive(self, { address: 'me', incarnation: 3, meta: meta(100) }, true, false, same)).to.deep.equal({ action: 'ignore', why: 'same-as-self' });
    expect(judgeAlive(self, { address: 'me', incarnation: 3, meta: meta(1) }, true, false, same).action).to.equal('refute');
    expect(judgeAlive(self, { address: 'me', incarnation: 7, meta: meta(100) }, true, false, same).action).to.equal('refute');
    expect(judgeAlive(self, { address: 'me', incarnation: 7, meta: meta(100) }, true, true, same).action).to.equal('ignore');
  });

  it('SWIM: a suspicion older than what we hold is ignored, about us is refuted, about a suspect confirms or restarts', () => {
    expect(judgeSuspect(undefined, 0, false, false)).to.deep.equal({ action: 'ignore', why: 'unknown-member' });
    expect(judgeSuspect(member('n2', { incarnation: 4 }), 3, false, false)).to.deep.equal({ action: 'ignore', why: 'stale-incarnation' });
    expect(judgeSuspect(member('n2', { incarnation: 4 }), 4, false, false)).to.deep.equal({ action: 'suspect' });
    expect(judgeSuspect(member('me', { incarnation: 4 }), 4, true, false)).to.deep.equal({ action: 'refute' });
    expect(judgeSuspect(member('n2', { incarnation: 4, state: 'suspect' }), 4, false, true)).to.deep.equal({ action: 'confirm' });
    expect(judgeSuspect(member('n2', { incarnation: 4, state: 'suspect' }), 5, false, true)).to.deep.equal({ action: 'resuspect' });
    expect(judgeSuspect(member('n2', { incarnation: 4, state: 'dead' }), 4, false, false)).to.deep.equal({ action: 'ignore', why: 'not-alive' });
  });

  it('SWIM: a death older than what we hold is ignored; about us it is refuted unless we are leaving; from the member itself it is a leave', () => {
    const n2 = member('n2', { incarnation: 4 });
    expect(judgeDead(n2, { member: 'n2', incarnation: 3, from: 'n1' }, false, false)).to.deep.equal({ action: 'ignore', why: 'stale-incarnation' });
    expect(judgeDead(n2, { member: 'n2', incarnation: 4, from: 'n1' }, false, false)).to.deep.equal({ action: 'declare', state: 'dead' });
    expect(judgeDead(n2, { member: 'n2', incarnation: 4, from: 'n2' }, false, false)).to.deep.equal({ action: 'declare', state: 'left' });
    expect(judgeDead(member('n2', { state: 'dead' }), { member: 'n2', incarnation: 9, from: 'n1' }, false, false).action).to.equal('ignore');
    expect(judgeDead(member('me', { incarnation: 4 }), { member: 'me', incarnation: 4, from: 'n1' }, true, false)).to.deep.equal({ action: 'refute' });
    expect(judgeDead(member('me', { incarnation: 4 }), { member: 'me', incarnation: 4, from: 'me' }, true, true)).to.deep.equal({ action: 'declare', state: 'left' });
  });

  it('SWIM: a refutation takes an incarnation above both ours and the accuser\'s', () => {
    expect(refutationIncarnation(3, 3)).to.equal(4);
    expect(refutationIncarnation(3, 9)).to.equal(10);
    expect(refutationIncarnation(12, 9)).to.equal(13);
  });
});
