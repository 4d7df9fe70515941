import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { WatchEvent } from '../../src/core/kv-types.js';
import { checkLeaseExclusivity, pairOperations, type HistoryEvent } from '../../src/check/index.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** Watches and the lease manager through real processes, across leader failures. */
describe('watches and leases (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = new ClusterFixture();
    // Compact the watch history early so the `compacted` path is reachable in a short test.
    await fx.json('up', '--nodes', '4', '--core', '3', '--no-heal');
  });
  after(async () => expectNoProcessLeft(fx));

  const leaderOf = async (): Promise<string> => (await waitFor('a leader', async () => (await fx.json('core', 'status')).leader as string | null))!;
  const ensureRunning = async (): Promise<void> => {
    const s = await fx.json('status', '--no-probe');
    for (const n of s.nodes) if (n.state === 'stopped') await fx.json('node', 'start', n.id);
  };

  it('a watch delivers every event once, in revision order, across a leader kill, and resumes with no gap', async () => {
    const c = fx.client({ timeoutMs: 8000 });
    const start = await c.put('/w/start', '0');
    const seen: { key: string; rev: number; type: string }[] = [];
    const reconnects: string[] = [];
    const w = c.watch('/w/', {
      prefix: true,
      fromRevision: start.revision,
      onEvents: (events: WatchEvent[], revision: number) => {
        for (const e of events) seen.push({ key: e.kv.key, rev: revision, type: e.type });
      },
      onReconnect: (node) => reconnects.push(node),
    });
    const acked: number[] = [start.revision];
    const writer = (async () => {
      for (let i = 0; i < 60; i++) {
        try {
          acked.push((await c.put(`/w/k${i % 7}`, String(i))).revision);
        } catch (err) {
          if (!(err instanceof CcmError)) throw err; // a write during the failover may fail; it is not acknowledged
        }
        if (i % 10 === 9) await c.delete(`/w/k${i % 7}`).then((d) => acked.push(d.revision)).catch(() => undefined);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const leader = await leaderOf();
    await fx.json('node', 'kill', leader);
    await writer;
    const last = Math.max(...acked);
    await waitFor('the watch caught up', () => seen.length > 0 && seen[seen.length - 1].rev >= last, 20_000);
    w.close();
    const revs = seen.map((s) => s.rev);
    expect(revs, 'strictly increasing: no duplicate, in order').to.deep.equal([...new Set(revs)].sort((a, b) => a - b));
    for (const rev of acked) expect(revs, `acknowledged revision ${rev} delivered`).to.include(rev);
    // No gap: every revision between the first and the last is there (only /w/ keys are written in this test).
    expect(revs[revs.length - 1] - revs[0] + 1).to.equal(revs.length);
    await fx.json('node', 'start', leader);
  });

  it('idle streams get progress notifications; a watch from a compacted revision says so and names the oldest kept', async () => {
    const c = fx.client();
    const progress: number[] = [];
    const w = c.watch('/idle/', { prefix: true, progressMs: 200, onEvents: () => undefined, onProgress: (r) => progress.push(r) });
    await waitFor('progress', () => progress.length >= 2, 5000);
    w.close();
    let rev = 0;
    for (let i = 0; i < 5; i++) rev = (await c.put('/cmp/k', String(i))).revision;
    await c.compact(rev - 1);
    let err: unknown;
    const w2 = c.watch('/cmp/', { prefix: true, fromRevision: rev - 3, onEvents: () => undefined });
    try {
      await w2.done;
    } catch (e) {
      err = e;
    }
    expect((err as CcmError).code).to.equal('compacted');
    expect((err as CcmError).message).to.include(`oldest revision kept is ${rev - 1}`);
    // From the oldest kept revision it works.
    const got: number[] = [];
    const w3 = c.watch('/cmp/', { prefix: true, fromRevision: rev - 1, onEvents: (_e, r) => got.push(r) });
    await waitFor('history from the compaction point', () => got.length === 2, 5000);
    w3.close();
  });

  it('a held lease stays held across a leader failover, is never granted to another early, and expires after its TTL', async () => {
    await ensureRunning();
    const c = fx.client({ timeoutMs: 8000 });
    const sentAt = Date.now();
    const a = await c.acquire('fo', { holder: 'a', ttlMs: 4000 });
    const leader = await leaderOf();
    await fx.json('node', 'kill', leader);
    // While a's TTL (counted from when it asked) runs, nobody else gets it, whoever leads now.
    while (Date.now() < sentAt + 3500) {
      let err: unknown;
      try {
        await c.acquire('fo', { holder: 'b', ttlMs: 2000 });
      } catch (e) {
        err = e;
      }
      expect(err, 'b must not get fo while a holds it').to.be.instanceOf(CcmError);
      expect((err as CcmError).code).to.be.oneOf(['held', 'no_leader', 'timeout']);
      await new Promise((r) => setTimeout(r, 200));
    }
    // After the TTL (plus the new leader's view of it), the resource is free, with a larger token.
    const b = await waitFor('fo free after the TTL', async () => c.acquire('fo', { holder: 'b', ttlMs: 2000 }).catch(() => null), 15_000, 250);
    expect(b!.token).to.be.greaterThan(a.token);
    await fx.json('node', 'start', leader);
  });

  it('two holders never hold one resource at once, and tokens only increase, over many acquire/release/expire cycles with a voter killed midway', async () => {
    await ensureRunning();
    const c = fx.client({ timeoutMs: 6000 });
    const history: HistoryEvent[] = [];
    const t0 = Date.now();
    const now = () => Date.now() - t0;
    const record = (process: number, type: HistoryEvent['type'], f: string, value: unknown) => history.push({ process, type, f, key: 'excl', value, timeMs: now() });
    const deadline = Date.now() + 20_000;
    let killed: string | null = null;
    const worker = async (p: number): Promise<void> => {
      while (Date.now() < deadline) {
        const ttlMs = 1500;
        record(p, 'invoke', 'acquire', { ttlMs });
        let lease: number;
        let secret: string;
        try {
          const r = await c.acquire('excl', { holder: `w${p}`, ttlMs, wait: true, waitTimeoutMs: 4000 });
          record(p, 'ok', 'acquire', { token: r.token, ttlMs });
          lease = r.lease;
          secret = r.secret;
        } catch (err) {
          record(p, (err as CcmError).code === 'timeout' ? 'info' : 'fail', 'acquire', null);
          continue;
        }
        await new Promise((r) => setTimeout(r, 50 + ((p * 37) % 100)));
        if (p % 3 === 0) continue; // this one lets its lease expire instead of releasing
        record(p, 'invoke', 'release', null);
        try {
          await c.release('excl', lease, secret);
          record(p, 'ok', 'release', null);
        } catch (err) {
          record(p, (err as CcmError).code === 'timeout' ? 'info' : 'fail', 'release', null);
        }
      }
    };
    const killer = (async () => {
      await new Promise((r) => setTimeout(r, 7000));
      const leader = await leaderOf();
      killed = ['n1', 'n2', 'n3'].find((n) => n !== leader)!;
      await fx.json('node', 'kill', killed);
    })();
    await Promise.all([0, 1, 2, 3, 4].map(worker).concat(killer));
    const ops = pairOperations(history);
    const grants = ops.filter((o) => o.f === 'acquire' && o.status === 'ok').length;
    expect(grants, 'enough grants to mean something').to.be.greaterThan(15);
    const verdict = checkLeaseExclusivity(ops, { marginMs: 50 });
    expect(verdict.verdict, verdict.summary + JSON.stringify(verdict.counterExample ?? {})).to.equal('valid');
    if (killed) await fx.json('node', 'start', killed);
  });
});
