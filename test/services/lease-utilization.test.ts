import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import { applyCommand } from '../../src/core/state-machine.js';
import { LeaseUtilization } from '../../src/services/lease-utilization.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase } from '../../src/storage/database.js';

/** The real state machine, applying lease-manager commands at given times; the tracker observes every apply. */
function harness() {
  const store = new SqliteStateStore(openDatabase(':memory:'));
  const tracker = new LeaseUtilization(1_000_000);
  let index = 0;
  const at = (ms: number, command: Command, requester?: string) => {
    const applied = applyCommand(store, command, ++index);
    tracker.observe(applied.result, applied.effects.events, 1_000_000 + ms, ms, requester);
    return applied.result;
  };
  return { tracker, at };
}

describe('lease utilization, from the lease manager\'s applied changes', () => {
  it('share held, grants, refusals, hold times, and each grant\'s token and end', () => {
    const { tracker, at } = harness();
    const a = at(0, { op: 'acquire', resource: 'db', holder: 'w1', ttlMs: 10_000, wait: false, atMs: 0 });
    at(100, { op: 'acquire', resource: 'db', holder: 'w2', ttlMs: 10_000, wait: false, atMs: 100 }, 'w2');
    if (a.op !== 'acquire' || !a.granted) throw new Error('not granted');
    at(400, { op: 'release', resource: 'db', lease: a.lease });
    const [view] = tracker.view(1000, 'db');
    expect(view.grants).to.equal(1);
    expect(view.refusals).to.equal(1);
    expect(view.recentRefusals[0]).to.include({ holder: 'w2', heldBy: 'w1', heldByToken: a.token });
    expect(view.hold).to.deep.equal({ count: 1, meanMs: 400, p99Ms: 400, maxMs: 400 });
    expect(view.heldFraction).to.be.closeTo(0.4, 0.001);
    expect(view.recentGrants[0]).to.include({ holder: 'w1', token: a.token, end: 'released', waitedMs: null });
    expect(view.holder).to.equal(null);
  });

  it('a waiter queues, is handed the resource when the lease expires, and its wait is measured', () => {
    const { tracker, at } = harness();
    const a = at(0, { op: 'acquire', resource: 'db', holder: 'w1', ttlMs: 1000, wait: false, atMs: 0 });
    at(200, { op: 'acquire', resource: 'db', holder: 'w2', ttlMs: 1000, wait: true, atMs: 200 });
    expect(tracker.view(300, 'db')[0]).to.include({ queueDepth: 1, maxQueueDepth: 1 });
    if (a.op !== 'acquire' || !a.granted) throw new Error('not granted');
    at(1000, { op: 'lease-expire', id: a.lease, renewals: 0 });
    const [view] = tracker.view(1500, 'db');
    expect(view.grants).to.equal(2);
    expect(view.queueDepth).to.equal(0);
    expect(view.wait.maxMs).to.equal(800);
    expect(view.holder?.holder).to.equal('w2');
    expect(view.recentGrants.map((g) => [g.holder, g.end])).to.deep.equal([
      ['w1', 'expired'],
      ['w2', null],
    ]);
    expect(view.recentGrants[1].token).to.be.greaterThan(view.recentGrants[0].token);
  });

  it('a waiter that gives up (its lease revoked) is counted, and the queue empties', () => {
    const { tracker, at } = harness();
    at(0, { op: 'acquire', resource: 'db', holder: 'w1', ttlMs: 10_000, wait: false, atMs: 0 });
    const q = at(10, { op: 'acquire', resource: 'db', holder: 'w2', ttlMs: 10_000, wait: true, atMs: 10 });
    if (q.op !== 'acquire' || q.granted || !q.queued) throw new Error('not queued');
    at(50, { op: 'lease-revoke', id: q.lease });
    expect(tracker.view(60, 'db')[0]).to.include({ queueDepth: 0, waitsAbandoned: 1, grants: 1 });
  });

  it('keeps at most maxResources resources (the quietest free one goes)', () => {
    const store = new SqliteStateStore(openDatabase(':memory:'));
    const tracker = new LeaseUtilization(0, { maxResources: 2 });
    let index = 0;
    for (const [ms, r] of [[0, 'a'], [10, 'b'], [20, 'c']] as const) {
      const applied = applyCommand(store, { op: 'acquire', resource: r, holder: 'w', ttlMs: 1000, wait: false, atMs: ms }, ++index);
      tracker.observe(applied.result, applied.effects.events, ms, ms);
    }
    expect(tracker.view(30).map((v) => v.resource).sort()).to.have.length(2);
  });
});
