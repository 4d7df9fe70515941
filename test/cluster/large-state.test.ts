import { expect } from 'chai';
import type { NodeStatus } from '../../src/api/api-types.js';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** Values of a megabyte, and a voter that falls far behind them (issue 11, "large state"), with real processes. */
describe('large state (real processes)', function () {
  this.timeout(300_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => expectNoProcessLeft(fx));

  it('a voter stopped while ~60 MB of 1 MB values were written catches up through a chunked snapshot, resumed after a kill midway; every node alive', async () => {
    // The log is compacted far behind the stopped voter: it can only catch up from a snapshot.
    await fx.json('up', '--nodes', '3', '--no-heal', '--setting', 'raftLogCompactThreshold=20', '--setting', 'raftLogTrailingEntries=5');
    const c = fx.client({ timeoutMs: 30_000 });
    await c.put('/base', '0');
    const leader = await waitFor('a leader', async () => (await fx.json('core', 'status')).leader as string | null);
    const lagger = ['n1', 'n2', 'n3'].find((n) => n !== leader)!;
    await fx.json('node', 'stop', lagger);

    // 60 puts of 1 MB over 12 keys, 4 at a time: the state holds 12 MB, the watch history the rest (values and
    // the values they replaced).
    const last = new Map<string, string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < 60; i = next++) {
          const key = `/big/${i % 12}`;
          const value = `${i}:`.padEnd(1_000_000, String.fromCharCode(97 + (i % 26)));
          await c.put(key, value);
          last.set(key, value);
        }
      }),
    );
    const status = (node: string): Promise<NodeStatus> => c.call<NodeStatus>('GET', '/v1/status', undefined, { node, timeoutMs: 5000 });
    const before = await status(leader!);
    expect(before.raft!.firstIndex, 'the leader compacted its log past the stopped voter').to.be.greaterThan(30);
    // ~108 MB of history was written (each value, and the value it replaced): the leader keeps it near 64 MiB.
    await waitFor('the watch history compacted to watchHistoryBytes', async () => {
      const m = await c.call<{ families: { name: string; samples: { value: number | null }[] }[] }>('GET', '/v1/metrics', undefined, { node: leader!, timeoutMs: 5000 });
      const bytes = m.families.find((f) => f.name === 'ccm_watch_history_bytes')?.samples[0]?.value ?? Infinity;
      return bytes <= 1.1 * 64 * 1024 * 1024;
    });

    // Slow the link to the lagging voter (150 ms each way, so the transfer takes seconds), start it, and kill it
    // mid-transfer: restarted, it must resume from the last chunk it wrote, not start the snapshot again.
    await fx.json('chaos', 'delay', leader!, lagger, '150ms');
    await fx.json('node', 'start', lagger);
    const midway = (await waitFor('the snapshot halfway in', async () => {
      const r = (await status(lagger)).snapshot?.receiving;
      return r && r.bytes > 15_000_000 ? r : null;
    }, 120_000, 50))!;
    // SIGKILL at once (the CLI takes seconds to start on a busy machine: the transfer could finish first).
    const pid = fx.clusterFile().nodes.find((n: { id: string }) => n.id === lagger).pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor(`${lagger} dead`, () => !isAlive(pid));
    await fx.json('node', 'start', lagger);
    await fx.json('chaos', 'heal');
    const target = before.raft!.commit;
    const caughtUp = (await waitFor(`${lagger} applied ${target}`, async () => {
      const s = await status(lagger);
      return s.raft!.applied >= target ? s : null;
    }, 180_000, 250))!;
    expect(caughtUp.snapshot!.installs, 'installed from a snapshot').to.equal(1);
    expect(caughtUp.snapshot!.receivesStarted, 'resumed what the killed process had staged, not started again').to.equal(0);
    expect(caughtUp.snapshot!.chunksReceived, 'in many bounded chunks').to.be.greaterThan(10);
    // The staging row counts what both processes wrote; the restarted one received only what was missing.
    const staged = /snapshot at \d+ staged: ([\d.]+) MB in (\d+) chunks/.exec((await fx.ccm('logs', lagger, '-n', '2000')).stdout);
    expect(staged, 'the snapshot-received event').to.not.equal(null);
    expect(caughtUp.snapshot!.bytesReceived, 'only the rest').to.be.lessThan(Number(staged![1]) * 1e6 - midway.bytes + 8 * 1024 * 1024);
    const senders = await Promise.all(['n1', 'n2', 'n3'].filter((n) => n !== lagger).map(async (n) => (await status(n)).snapshot!.sendsCompleted));
    expect(senders.reduce((a, b) => a + b), 'the leader saw the snapshot installed').to.be.at.least(1);

    for (const [key, value] of last) {
      const r = await c.call<any>('GET', '/v1/kv', undefined, { node: lagger, query: { key, serializable: true }, timeoutMs: 10_000 });
      expect(r.kvs[0].value.length, key).to.equal(value.length);
      expect(r.kvs[0].value === value, `${key} holds the last value written`).to.equal(true);
    }
    expect(fx.livePids().filter(isAlive), 'every node is alive').to.have.length(3);
    await c.put('/after', 'ok'); // and the cluster serves
  });
});
