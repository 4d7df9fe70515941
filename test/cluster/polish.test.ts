import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** What a user touches: membership changes on a running cluster, backups, and transactions from the CLI. */
describe('node add/remove, snapshots, kv txn (real processes)', function () {
  this.timeout(180_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => expectNoProcessLeft(fx));

  const aliveIn = async (node: string): Promise<string[]> =>
    ((await fx.json('members', '--from', node)).members as { id: string; state: string }[]).filter((m) => m.state === 'alive').map((m) => m.id).sort();

  it('node add joins through gossip (--core: learner, then voter); node remove leaves the core first and refuses to cost the quorum', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
    const c = fx.client({ timeoutMs: 8000 });
    await c.put('/before', 'x');

    const added = await fx.json('node', 'add');
    expect(added).to.include({ id: 'n4', kind: 'member' });
    // every node, old and new, holds the newcomer alive (each had to learn its address)
    for (const node of ['n1', 'n2', 'n3', 'n4']) await waitFor(`${node} sees 4 alive`, async () => (await aliveIn(node)).length === 4);

    const voter = await fx.json('node', 'add', '--core');
    expect(voter.id).to.equal('n5');
    expect(voter.core.voters).to.deep.equal(['n1', 'n2', 'n3', 'n5']);
    // the new voter has the log: a local (serializable) read on it sees the write made before it existed
    const local = await fx.client().call<any>('GET', '/v1/kv', undefined, { node: 'n5', query: { key: '/before', serializable: true } });
    expect(local.kvs[0].value).to.equal('x');
    const listed = await fx.json('ls');
    expect(listed.clusters.find((x: { name: string }) => x.name === 'test')).to.include({ state: 'running', nodes: 5, running: 5 });

    const removedVoter = await fx.json('node', 'remove', 'n5');
    expect(removedVoter).to.include({ id: 'n5', leftCore: true });
    expect(removedVoter.core.voters).to.deep.equal(['n1', 'n2', 'n3']);
    await fx.json('node', 'remove', 'n4');
    expect(fx.clusterFile().nodes.map((n: { id: string }) => n.id)).to.deep.equal(['n1', 'n2', 'n3']);
    expect(fs.existsSync(path.join(fx.home, 'test', 'nodes', 'n4'))).to.equal(false);
    await waitFor('n1 no longer holds n4 alive', async () => !(await aliveIn('n1')).includes('n4'));
    // ids are never reused
    expect((await fx.json('node', 'add')).id).to.equal('n6');

    // Bad input: clear error, non-zero exit, nothing changed.
    const before = JSON.stringify(fx.clusterFile().nodes.map((n: { id: string }) => n.id));
    await fx.expectFailure(['node', 'remove', 'n9'], /unknown node "n9"/);
    await fx.json('node', 'stop', 'n2');
    // voters n1,n2,n3 with n2 down: without n1, only n3 of the two left would answer — no quorum
    await fx.expectFailure(['node', 'remove', 'n1'], /quorum needs 2.*Bring n2 back first/);
    expect((await fx.json('core', 'status')).voters.map((v: { id: string }) => v.id)).to.deep.equal(['n1', 'n2', 'n3']);
    expect(JSON.stringify(fx.clusterFile().nodes.map((n: { id: string }) => n.id))).to.equal(before);
    expect((await fx.ccm('node', 'add', '--core', '--nodes', '2')).exitCode).to.equal(2);
  });

  it('kv txn and compact from the CLI; snapshot save, status and restore into a new cluster; a corrupt snapshot is refused', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
    const first = await fx.json('kv', 'put', '/app/color', 'blue');

    const won = await fx.json('kv', 'txn', '--compare', 'value("/app/color") = "blue"', '--then', 'put /app/color red', '--then', 'put /app/size "extra large"', '--else', 'get /app/color');
    expect(won.succeeded).to.equal(true);
    const lost = await fx.json('kv', 'txn', '--compare', 'value("/app/color") = "blue"', '--then', 'put /app/color green', '--else', 'get /app/color');
    expect(lost.succeeded).to.equal(false);
    expect(lost.results[0].kvs[0].value).to.equal('red');
    const txnFile = path.join(fx.home, 'swap.txn');
    fs.writeFileSync(txnFile, 'mod("/app/size") > 0\n\ndel /app/size\nput /app/shape round\n\nput /app/shape square\n');
    expect((await fx.json('kv', 'txn', '--file', txnFile)).succeeded).to.equal(true);
    // the past: as of a revision, and the value before the last change
    expect((await fx.json('kv', 'get', '/app/color', '--rev', String(first.revision))).value).to.equal('blue');
    expect((await fx.json('kv', 'get', '/app/color', '--prev')).value).to.equal('blue');
    const human = await fx.ccm('kv', 'txn', '--compare', 'create("/nope") = 0', '--then', 'get /app/shape');
    expect(human.stdout).to.match(/^SUCCESS \(revision \d+\)\n\/app\/shape = round/);
    for (const [args, pattern] of [
      [['kv', 'txn', '--compare', 'create("/k") = 0'], /no operation/],
      [['kv', 'txn', '--then', 'put /ccm/locks/x y'], /belong to ccm's services/],
      [['kv', 'compact', '999999'], /current revision/],
      [['kv', 'get', '/app/color', '--rev', '999999'], /in the future/],
      [['kv', 'get', '/app/', '--prefix', '--prev'], /not with --prefix/],
    ] as [string[], RegExp][]) {
      await fx.expectFailure(args, pattern);
    }
    expect((await fx.json('kv', 'get', '/app/color')).value).to.equal('red');
    const compacted = await fx.json('kv', 'compact', '2');
    expect(compacted.compactRevision).to.equal(2);
    await fx.expectFailure(['kv', 'get', '/app/color', '--rev', '1'], /revision 1 was compacted/);
    const legacy = await fx.ccm('kv', 'get', '/app/color', '--timeout', '3000');
    expect(legacy.exitCode).to.equal(0);
    expect(legacy.stderr).to.match(/read as milliseconds; write 3000ms or 3s/);

    const lease = await fx.json('lease', 'grant', '--ttl', '5m');
    await fx.json('kv', 'put', '/session', 'alive', '--lease', String(lease.id));
    const file = path.join(fx.home, 'backup.snap');
    const saved = await fx.json('snapshot', 'save', file);
    const revision = (await fx.json('kv', 'get', '/app/color')).revision as number;
    expect(saved.header).to.include({ cluster: 'test', revision, keys: 3, leases: 1 });
    expect((await fx.json('snapshot', 'status', file)).header.sha256).to.equal(saved.header.sha256);

    // One node is enough to show the state came across (and starts fastest).
    const restored = await fx.ccmNamed('copy', 'snapshot', 'restore', file, '--nodes', '1', '--json');
    expect(restored.exitCode, restored.stderr).to.equal(0);
    const copy = async (...args: string[]) => JSON.parse((await fx.ccmNamed('copy', ...args, '--json')).stdout);
    expect((await copy('kv', 'get', '/app/color')).value).to.equal('red');
    expect((await copy('kv', 'get', '/app/shape')).value).to.equal('round');
    expect((await copy('lease', 'list')).leases.map((l: { keys: string[] }) => l.keys)).to.deep.equal([['/session']]);
    // the restored cluster goes on from the snapshot's revision
    expect((await copy('kv', 'put', '/new', 'v')).revision).to.equal(revision + 1);

    // Refused: over an existing cluster (which is left as it was), and a damaged file.
    const copyFile = fs.readFileSync(path.join(fx.home, 'copy', 'cluster.json'), 'utf8');
    const again = await fx.ccmNamed('copy', 'snapshot', 'restore', file);
    expect(again.exitCode).to.equal(1);
    expect(again.stderr).to.match(/already exists/);
    expect(fs.readFileSync(path.join(fx.home, 'copy', 'cluster.json'), 'utf8')).to.equal(copyFile);
    const bad = path.join(fx.home, 'bad.snap');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] ^= 0x01;
    fs.writeFileSync(bad, bytes);
    await fx.expectFailure(['snapshot', 'status', bad], /checksum mismatch/);
    const refused = await fx.ccmNamed('third', 'snapshot', 'restore', bad);
    expect(refused.exitCode).to.equal(1);
    expect(refused.stderr).to.match(/checksum mismatch/);
    expect(fs.existsSync(path.join(fx.home, 'third'))).to.equal(false);
    await fx.expectFailure(['snapshot', 'status', path.join(fx.home, 'swap.txn')], /not a usable ccm snapshot: its header is not JSON/);
  });
});
