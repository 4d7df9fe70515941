import { expect } from 'chai';
import { openDatabase } from '../../src/storage/database.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { applyCommand, type ApplyResult } from '../../src/core/state-machine.js';
import type { Command } from '../../src/core/commands.js';
import { LOCK_PREFIX } from '../../src/core/kv-types.js';

describe('state machine (kv, txn, leases, lease manager)', () => {
  let store: SqliteStateStore;
  let index = 0;
  const run = (c: Command): ApplyResult => applyCommand(store, c, ++index).result;
  beforeEach(() => {
    store = new SqliteStateStore(openDatabase(':memory:'));
    index = 0;
  });

  it('every change gets the next global revision; keys track create/mod revision and version', () => {
    expect(run({ op: 'put', key: 'a', value: '1' })).to.include({ op: 'put', revision: 1 });
    expect(run({ op: 'put', key: 'b', value: '1' })).to.include({ revision: 2 });
    const r = run({ op: 'put', key: 'a', value: '2' });
    expect(r).to.include({ revision: 3 });
    expect((r as any).prev.value).to.equal('1');
    expect(store.get('a')).to.deep.include({ value: '2', createRevision: 1, modRevision: 3, version: 2 });
    expect(run({ op: 'delete', key: 'a' })).to.deep.equal({ op: 'delete', revision: 4, deleted: 1 });
    expect(run({ op: 'put', key: 'a', value: '3' })).to.include({ revision: 5 });
    expect(store.get('a')).to.deep.include({ createRevision: 5, version: 1 });
    // a delete that deletes nothing does not consume a revision
    expect(run({ op: 'delete', key: 'zzz' })).to.deep.equal({ op: 'delete', revision: 5, deleted: 0 });
    expect(store.revision()).to.equal(5);
  });

  it('prefix ranges and deletes stay within the prefix', () => {
    for (const k of ['/app/a', '/app/b', '/apps', '/app0', '/b']) run({ op: 'put', key: k, value: 'x' });
    expect(store.range('/app/', true).map((kv) => kv.key)).to.deep.equal(['/app/a', '/app/b']);
    expect(run({ op: 'delete', key: '/app/', prefix: true })).to.include({ deleted: 2 });
    expect(store.range('/', true).map((kv) => kv.key)).to.deep.equal(['/app0', '/apps', '/b']);
  });

  it('the event log records every change in revision order, with sub-revisions within a txn', () => {
    run({ op: 'put', key: 'a', value: '1' });
    run({ op: 'txn', compare: [], success: [{ op: 'put', key: 'b', value: '1' }, { op: 'delete', key: 'a' }], failure: [] });
    const events = store.events(0, 100, 100);
    expect(events.map((e) => `${e.type}:${e.kv.key}@${e.kv.modRevision}`)).to.deep.equal(['put:a@1', 'put:b@2', 'delete:a@2']);
    expect(events[2].prevValue).to.equal('1');
  });

  it('txn: compares decide the branch atomically; a failed compare changes nothing', () => {
    run({ op: 'put', key: 'k', value: 'v1' });
    const fail = run({ op: 'txn', compare: [{ key: 'k', target: 'mod', op: '=', value: 99 }], success: [{ op: 'put', key: 'k', value: 'x' }], failure: [{ op: 'get', key: 'k' }] });
    expect(fail).to.include({ succeeded: false, revision: 1 });
    expect((fail as any).results[0].kvs[0].value).to.equal('v1');
    expect(store.revision()).to.equal(1);
    const ok = run({ op: 'txn', compare: [{ key: 'k', target: 'value', op: '=', value: 'v1' }, { key: 'missing', target: 'create', op: '=', value: 0 }], success: [{ op: 'put', key: 'k', value: 'v2' }], failure: [] });
    expect(ok).to.include({ succeeded: true, revision: 2 });
    expect(store.get('k')!.value).to.equal('v2');
  });

  it('leases: attached keys vanish when the lease is revoked; put on a missing lease fails and changes nothing', () => {
    const grant = run({ op: 'lease-grant', secretHash: 'h', ttlMs: 5000, atMs: 1 }) as any;
    expect(grant.id).to.equal(index);
    run({ op: 'put', key: 'e1', value: 'x', lease: grant.id });
    run({ op: 'put', key: 'e2', value: 'x', lease: grant.id });
    run({ op: 'put', key: 'plain', value: 'x' });
    const rev = store.revision();
    expect(run({ op: 'put', key: 'e3', value: 'x', lease: 424242 })).to.include({ op: 'error', code: 'not_found' });
    expect(store.revision()).to.equal(rev);
    expect(run({ op: 'lease-revoke', secretHash: 'h', id: grant.id })).to.include({ deletedKeys: 2 });
    expect(store.range('', true).map((kv) => kv.key)).to.deep.equal(['plain']);
    expect(run({ op: 'lease-revoke', secretHash: 'h', id: grant.id })).to.include({ op: 'error', code: 'not_found' });
  });

  it('lease-expire is conditional: a renewal after the leader decided keeps the lease', () => {
    const id = (run({ op: 'lease-grant', secretHash: 'h', ttlMs: 5000, atMs: 1 }) as any).id;
    run({ op: 'lease-renew', secretHash: 'h', id, atMs: 2 });
    expect(run({ op: 'lease-expire', id, renewals: 0 })).to.deep.equal({ op: 'lease-expire', id, expired: false });
    expect(store.getLease(id)).to.not.equal(undefined);
    expect(run({ op: 'lease-expire', id, renewals: 1 })).to.deep.equal({ op: 'lease-expire', id, expired: true });
    expect(store.getLease(id)).to.equal(undefined);
  });

  it('lease manager: one holder; fencing tokens strictly increase; a waiter queue hands over first come, first served', () => {
    const a = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'a', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    expect(a).to.include({ granted: true, holder: 'a' });
    const b = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'b', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    expect(b).to.deep.include({ granted: false, queued: false });
    expect(b.heldBy).to.deep.equal({ holder: 'a', lease: a.lease, token: a.token });
    const c = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'c', ttlMs: 5000, wait: true, atMs: 1 }) as any;
    const d = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'd', ttlMs: 5000, wait: true, atMs: 1 }) as any;
    expect(c).to.include({ queued: true, position: 1 });
    expect(d).to.include({ queued: true, position: 2 });
    // a releases: c (first in line) gets it, with a larger token
    const rel = run({ op: 'release', secretHash: 'h', resource: 'db', lease: a.lease }) as any;
    expect(rel.nextHolder).to.equal('c');
    const lock = store.get(LOCK_PREFIX + 'db')!;
    expect(JSON.parse(lock.value)).to.deep.equal({ holder: 'c', lease: c.lease });
    expect(lock.createRevision).to.be.greaterThan(a.token);
    // c's lease expires (not renewed): d gets it
    const renewals = store.getLease(c.lease)!.renewals;
    run({ op: 'lease-expire', id: c.lease, renewals });
    const lock2 = store.get(LOCK_PREFIX + 'db')!;
    expect(JSON.parse(lock2.value).holder).to.equal('d');
    expect(lock2.createRevision).to.be.greaterThan(lock.createRevision);
    // releasing with a lease that does not hold it is refused and changes nothing
    const before = store.revision();
    expect(run({ op: 'release', secretHash: 'h', resource: 'db', lease: a.lease })).to.include({ op: 'error', code: 'not_found' });
    const e = run({ op: 'lease-grant', secretHash: 'h', ttlMs: 5000, atMs: 1 }) as any;
    expect(run({ op: 'release', secretHash: 'h', resource: 'db', lease: e.id })).to.include({ op: 'error', code: 'failed_precondition' });
    expect(store.revision()).to.equal(before);
  });

  it('a waiter whose lease ended before the hand-over is skipped', () => {
    const a = run({ op: 'acquire', secretHash: 'h', resource: 'r', holder: 'a', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    const b = run({ op: 'acquire', secretHash: 'h', resource: 'r', holder: 'b', ttlMs: 5000, wait: true, atMs: 1 }) as any;
    run({ op: 'acquire', secretHash: 'h', resource: 'r', holder: 'c', ttlMs: 5000, wait: true, atMs: 1 });
    run({ op: 'lease-revoke', secretHash: 'h', id: b.lease });
    run({ op: 'release', secretHash: 'h', resource: 'r', lease: a.lease });
    expect(JSON.parse(store.get(LOCK_PREFIX + 'r')!.value).holder).to.equal('c');
  });

  it('per-grant secret: renewing, releasing or revoking needs the hash of the grant\'s secret; the lease id alone changes nothing', () => {
    const a = run({ op: 'acquire', secretHash: 'secret-of-a', resource: 'db', holder: 'a', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    const g = run({ op: 'lease-grant', secretHash: 'secret-of-g', ttlMs: 5000, atMs: 1 }) as any;
    const before = store.revision();
    for (const bad of [undefined, '', 'secret-of-g'] as const) {
      expect(run({ op: 'lease-renew', id: a.lease, atMs: 2, secretHash: bad as string }), `renew ${bad}`).to.include({ op: 'error', code: 'permission_denied' });
      expect(run({ op: 'release', resource: 'db', lease: a.lease, secretHash: bad as string }), `release ${bad}`).to.include({ op: 'error', code: 'permission_denied' });
      expect(run({ op: 'lease-revoke', id: a.lease, secretHash: bad }), `revoke ${bad}`).to.include({ op: 'error', code: 'permission_denied' });
    }
    expect(run({ op: 'lease-revoke', id: g.id, secretHash: 'secret-of-a' })).to.include({ op: 'error', code: 'permission_denied' });
    expect(store.revision(), 'nothing changed').to.equal(before);
    expect(store.getLease(a.lease)!.renewals).to.equal(0);
    expect(run({ op: 'lease-renew', id: a.lease, atMs: 2, secretHash: 'secret-of-a' })).to.include({ op: 'lease-renew', renewals: 1 });
    expect(run({ op: 'release', resource: 'db', lease: a.lease, secretHash: 'secret-of-a' })).to.include({ op: 'release' });
    // The cluster itself (a waiter leaving its queue, an admin's --force) ends a lease without it.
    expect(run({ op: 'lease-revoke', id: g.id, bySystem: true })).to.include({ op: 'lease-revoke' });
    // A lease granted before secrets existed asks for none.
    store.putLease({ id: 999, ttlMs: 5000, grantedRevision: 1, grantedAtMs: 1, renewedAtMs: 1, renewals: 0, owner: '', secretHash: '' });
    expect(run({ op: 'lease-renew', id: 999, atMs: 3, secretHash: 'anything' })).to.include({ op: 'lease-renew' });
  });

  it('fencing: a write carrying a token applies only while no newer grant exists (stale_token otherwise, nothing written)', () => {
    const a = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'a', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    const fencedPut = (token: number) => run({ op: 'put', key: '/data', value: `by ${token}`, fence: { resource: 'db', token } });
    expect(fencedPut(a.token)).to.include({ op: 'put' });
    expect(store.get('/data')!.value).to.equal(`by ${a.token}`);
    // a's lease runs out, b is granted: a newer grant exists
    run({ op: 'lease-expire', id: a.lease, renewals: 0 });
    const b = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'b', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    expect(b.token).to.be.greaterThan(a.token);
    const before = store.revision();
    const stale = fencedPut(a.token) as any;
    expect(stale).to.include({ op: 'error', code: 'stale_token' });
    expect(stale.message).to.match(new RegExp(`token ${a.token} for db is stale: it is held with token ${b.token} \\(by b\\)`));
    expect(stale.details).to.deep.equal({ resource: 'db', token: a.token, newestToken: b.token });
    expect(run({ op: 'delete', key: '/data', fence: { resource: 'db', token: a.token } })).to.include({ code: 'stale_token' });
    expect(run({ op: 'txn', compare: [], success: [{ op: 'put', key: '/data', value: 'x' }], failure: [], fence: { resource: 'db', token: a.token } })).to.include({ code: 'stale_token' });
    expect(fencedPut(b.token + 1000), 'a token never granted').to.include({ code: 'stale_token' });
    expect(run({ op: 'put', key: '/data', value: 'x', fence: { resource: 'other', token: b.token } }), 'another resource').to.include({ code: 'stale_token' });
    expect(store.revision(), 'nothing was written').to.equal(before);
    expect(store.get('/data')!.value).to.equal(`by ${a.token}`);
    expect(fencedPut(b.token)).to.include({ op: 'put' });
    // released with no newer grant: b's token is still the newest (nobody else can write); a's still stale
    run({ op: 'release', secretHash: 'h', resource: 'db', lease: b.lease });
    expect(fencedPut(b.token)).to.include({ op: 'put' });
    expect(fencedPut(a.token)).to.include({ code: 'stale_token' });
    // a hand-over to a waiter is a newer grant too
    const c = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'c', ttlMs: 5000, wait: false, atMs: 1 }) as any;
    const d = run({ op: 'acquire', secretHash: 'h', resource: 'db', holder: 'd', ttlMs: 5000, wait: true, atMs: 1 }) as any;
    run({ op: 'release', secretHash: 'h', resource: 'db', lease: c.lease });
    expect(fencedPut(c.token)).to.include({ code: 'stale_token' });
    expect(store.get('/ccm/fences/db')!.value).to.equal(String(store.get('/ccm/locks/db')!.createRevision));
    expect(JSON.parse(store.get('/ccm/locks/db')!.value).lease).to.equal(d.lease);
  });

  it('compaction forgets old events but never the current state', () => {
    for (let i = 0; i < 10; i++) run({ op: 'put', key: 'k', value: String(i) });
    expect(run({ op: 'compact', revision: 8 })).to.deep.equal({ op: 'compact', revision: 8, previous: 0 });
    expect(store.events(0, 100, 100).map((e) => e.kv.modRevision)).to.deep.equal([8, 9, 10]);
    expect(store.get('k')!.value).to.equal('9');
    expect(run({ op: 'compact', revision: 99 })).to.include({ op: 'error', code: 'invalid_argument' });
  });

  it('the watch history is measured in bytes: keys, values and the values they replaced, forgotten by compaction', () => {
    run({ op: 'put', key: 'k', value: 'a'.repeat(1000) }); // 1 + 1000
    run({ op: 'put', key: 'k', value: 'b'.repeat(1000) }); // 1 + 1000 + 1000 (the value it replaced)
    run({ op: 'put', key: 'é', value: 'c'.repeat(500) }); // 2 + 500: UTF-8 bytes
    expect(store.historyBytes()).to.equal(1001 + 2001 + 502);
    expect(store.historyCompactRevision(10_000)).to.equal(null);
    expect(store.historyCompactRevision(2600)).to.equal(2); // revisions 2 and 3 fit, 1 does not
    expect(store.historyCompactRevision(10)).to.equal(3); // never past the newest revision
    run({ op: 'compact', revision: 2 });
    expect(store.historyBytes()).to.equal(2001 + 502);
  });
});

