import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ConfigEntryView } from '../../src/api/api-types.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';
import { CliProcess } from '../services/cli-process.js';

/** The configuration manager through real processes: the CLI, the HTTP API and the typed client, across failures. */
describe('configuration manager (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = new ClusterFixture();
    // Three voters and one member (n4): the member's mirror is fed through a voter.
    await fx.json('up', '--nodes', '4', '--core', '3', '--no-heal');
  });
  after(async () => {
    await CliProcess.stopAll();
    await expectNoProcessLeft(fx);
  });


  it('CLI: typed set/get, history with who and when, rollback as a new version; bad input is refused and changes nothing', async () => {
    const v1 = await fx.json<ConfigEntryView>('config', 'set', 'app.timeout', '10', '--type', 'int', '--by', 'alice');
    expect(v1).to.deep.include({ name: 'app.timeout', value: 10, type: 'int', version: 1, kind: 'set', updatedBy: 'alice' });
    // No --type: the entry keeps its type, so the value is checked as an int.
    const v2 = await fx.json<ConfigEntryView>('config', 'set', 'app.timeout', '20');
    expect(v2).to.deep.include({ value: 20, type: 'int', version: 2 });
    expect(v2.updatedBy).to.match(/.+@.+/);
    expect(v2.revision).to.be.greaterThan(v1.revision);

    await Promise.all([
      fx.expectFailure(['config', 'set', 'app.timeout', 'notanumber'], /app\.timeout: "notanumber" is not an int/),
      fx.expectFailure(['config', 'set', 'app.timeout', '1.5', '--type', 'int'], /is not an int/),
      fx.expectFailure(['config', 'set', 'app.enabled', 'maybe', '--type', 'bool'], /is not a bool \(true or false\)/),
      fx.expectFailure(['config', 'set', 'app.wait', 'soon', '--type', 'duration'], /is not a duration/),
      fx.expectFailure(['config', 'set', 'app.wait', '-5s', '--type', 'duration'], /is not a duration/),
      fx.expectFailure(['config', 'set', 'app.doc', '{oops', '--type', 'json'], /is not JSON/),
      fx.expectFailure(['config', 'set', 'bad/name', '1'], /config name "bad\/name" is invalid/),
      fx.expectFailure(['config', 'set', 'app.timeout', '30', '--if-version', '1'], /is at version 2, not 1; nothing changed/),
      fx.expectFailure(['config', 'rollback', 'app.timeout', '--to-version', '9'], /has no version 9 \(its versions are 1 to 2\)/),
      fx.expectFailure(['config', 'rollback', 'app.timeout', '--to-version', '0'], /--to-version must be a whole number >= 1/),
      fx.expectFailure(['config', 'rollback', 'never.set', '--to-version', '1'], /never\.set is not set/),
      fx.expectFailure(['config', 'get', 'never.set'], /config never\.set is not set/),
      fx.expectFailure(['config', 'history', 'never.set'], /has no history/),
      fx.ccm('config', 'set', 'a', '1', '--type', 'float').then((r) => expect(r.exitCode).to.not.equal(0)),
    ]);
    expect((await fx.client().listConfig('app.')).entries.map((e) => e.name)).to.deep.equal(['app.timeout']);
    expect((await fx.json('config', 'history', 'app.timeout')).versions.map((v: ConfigEntryView) => v.value)).to.deep.equal([10, 20]);

    // The acceptance flow: rollback to version 1 gives 10 again, as version 3 recorded as a rollback of 1.
    const v3 = await fx.json<ConfigEntryView>('config', 'rollback', 'app.timeout', '--to-version', '1', '--by', 'bob');
    expect(v3).to.deep.include({ value: 10, type: 'int', version: 3, kind: 'rollback', rollbackOf: 1, updatedBy: 'bob' });
    expect((await fx.json('config', 'get', 'app.timeout')).value).to.equal(10);
    expect((await fx.ccm('config', 'get', 'app.timeout')).stdout.trim()).to.equal('10');
    const history = await fx.json('config', 'history', 'app.timeout');
    expect(history.versions.map((v: ConfigEntryView) => [v.version, v.kind, v.value, v.updatedBy])).to.deep.equal([
      [1, 'set', 10, 'alice'],
      [2, 'set', 20, v2.updatedBy],
      [3, 'rollback', 10, 'bob'],
    ]);
    for (const v of history.versions) expect(v.updatedAtMs).to.be.within(Date.now() - 120_000, Date.now() + 5000);
    const human = await fx.ccm('config', 'history', 'app.timeout');
    expect(human.stdout).to.match(/3\s+rollback to v1\s+int\s+10/);

    // Other types, typed values in --json, list with a prefix.
    const [duration, json, bool, text] = await Promise.all([
      fx.json('config', 'set', 'payments.timeout', '30s', '--type', 'duration'),
      fx.json('config', 'set', 'payments.retry', '{"max": 3, "backoff": [1, 2]}', '--type', 'json'),
      fx.json('config', 'set', 'payments.enabled', 'TRUE', '--type', 'bool'),
      fx.json('config', 'set', 'payments.name', 'pay v2'),
    ]);
    expect(duration).to.deep.include({ value: '30s', durationMs: 30_000, type: 'duration' });
    expect(json.value).to.deep.equal({ max: 3, backoff: [1, 2] });
    expect(bool.value).to.equal(true);
    expect(text.type).to.equal('string');
    const list = await fx.json('config', 'list', '--prefix', 'payments.');
    expect(list.entries.map((e: ConfigEntryView) => [e.name, e.type])).to.deep.equal([
      ['payments.enabled', 'bool'],
      ['payments.name', 'string'],
      ['payments.retry', 'json'],
      ['payments.timeout', 'duration'],
    ]);
    expect((await fx.ccm('config', 'list')).stdout).to.match(/app\.timeout\s+int\s+10\s+3/);

    // Delete is a tombstone version: gone for get, kept in history, and numbering goes on.
    expect((await fx.json('config', 'delete', 'payments.name')).version).to.equal(2);
    await fx.expectFailure(['config', 'get', 'payments.name'], /was deleted at version 2/);
    await fx.expectFailure(['config', 'rollback', 'payments.name', '--to-version', '2'], /is a delete: it has no value to restore/);
    expect(await fx.json('config', 'rollback', 'payments.name', '--to-version', '1')).to.deep.include({ version: 3, value: 'pay v2' });
  });

  it('import is atomic (all or nothing) and export round-trips; concurrent sets lose no version; watch streams changes', async () => {
    const file = path.join(fx.home, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ 'imp.port': { type: 'int', value: 8080 }, 'imp.host': 'db.local', 'imp.debug': false, 'imp.limits': { type: 'json', value: { rps: 5 } }, 'app.timeout': 15 }));
    const imported = await fx.json('config', 'import', file);
    expect(imported.changed.map((e: ConfigEntryView) => [e.name, e.value, e.kind])).to.deep.equal([
      ['imp.port', 8080, 'import'],
      ['imp.host', 'db.local', 'import'],
      ['imp.debug', false, 'import'],
      ['imp.limits', { rps: 5 }, 'import'],
      ['app.timeout', 15, 'import'],
    ]);
    // One transaction: every entry at the same revision.
    expect(new Set(imported.changed.map((e: ConfigEntryView) => e.revision)).size).to.equal(1);
    expect(imported.changed.find((e: ConfigEntryView) => e.name === 'app.timeout').version).to.equal(4);

    const exported = await fx.json('config', 'export', '--prefix', 'imp.');
    expect(exported).to.deep.equal({ 'imp.debug': { type: 'bool', value: false }, 'imp.host': { type: 'string', value: 'db.local' }, 'imp.limits': { type: 'json', value: { rps: 5 } }, 'imp.port': { type: 'int', value: 8080 } });
    const exportFile = path.join(fx.home, 'export.json');
    fs.writeFileSync(exportFile, (await fx.ccm('config', 'export')).stdout);
    const again = await fx.json('config', 'import', exportFile);
    expect(again.changed).to.deep.equal([]);
    expect(again.revision).to.equal(0);

    // One bad entry among good ones: nothing is imported.
    const before = await fx.json('config', 'export');
    fs.writeFileSync(file, JSON.stringify({ 'imp.port': 9090, 'imp.new': 'x', 'app.timeout': 'soon' }));
    await fx.expectFailure(['config', 'import', file], /app\.timeout: "soon" is not an int/);
    fs.writeFileSync(file, '{not json');
    await fx.expectFailure(['config', 'import', file], /is not JSON/);
    await fx.expectFailure(['config', 'import', path.join(fx.home, 'missing.json')], /no such file/);
    expect(await fx.json('config', 'export')).to.deep.equal(before);

    // Concurrent sets through the typed client, spread over every node: each gets its own version.
    const c = fx.client({ timeoutMs: 10_000 });
    // Watched from the revision after now: the stream replays anything it was not yet up for, so none is missed.
    const watch = new CliProcess(fx, ['config', 'watch', 'race.', '--json', '--from-rev', String((await c.listConfig()).revision + 1)]);
    const first = await c.setConfig('race.counter', '0', { type: 'int', by: 'racer' });
    const writers = Array.from({ length: 16 }, (_, i) => c.call<ConfigEntryView>('PUT', '/v1/config/race.counter', { value: String(i + 1), by: `w${i}` }, { node: `n${(i % 4) + 1}` }));
    const results = await Promise.all(writers);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 16 }, (_, i) => i + 2));
    const h = await c.configHistory('race.counter');
    expect(h.versions.map((v) => v.version)).to.deep.equal(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(h.versions.slice(1).map((v) => v.value as number).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 16 }, (_, i) => i + 1));
    // The watch saw every version once, in order.
    await watch.waitForLine('the last racing version', (l) => l.includes('"version":17'));
    expect(watch.json<ConfigEntryView>().map((e) => e.version)).to.deep.equal(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(first.version).to.equal(1);
    watch.signal('SIGINT');
    expect((await watch.exited).exitCode).to.equal(0);

    // A human watch prints one line per change.
    const human = new CliProcess(fx, ['config', 'watch', 'imp.']);
    await waitFor('watch ready', () => human.errLines.some((l) => l.includes('watching config')), 15_000);
    await new Promise((r) => setTimeout(r, 300));
    await fx.json('config', 'set', 'imp.host', 'db2.local');
    await fx.json('config', 'set', 'app.unwatched', 'x');
    await human.waitForLine('imp.host change', (l) => /imp\.host = db2\.local \(string\)\s+v2 set by/.test(l));
    human.signal('SIGINT');
    await human.exited;
    expect(human.lines.some((l) => l.includes('app.unwatched'))).to.equal(false);
  });

  it('every node mirrors the config and gossips its config revision; a member reads its own copy', async () => {
    const c = fx.client();
    const set = await c.setConfig('mirror.probe', 'on', { by: 'test' });
    await waitFor('every node at the latest config revision', async () => {
      const s = await c.configStatus();
      return s.configRevision >= set.revision && s.nodes.length === 4 && s.nodes.every((n) => n.isCaughtUp && n.isSynced) ? s : null;
    });
    const status = await fx.json('config', 'status');
    expect(status.nodes.map((n: any) => n.configRevision)).to.deep.equal([status.configRevision, status.configRevision, status.configRevision, status.configRevision]);
    // Gossip meta: every node's view of every member carries configVersion (what the TUI shows).
    await waitFor('configVersion gossiped to every view', async () => {
      for (const node of ['n1', 'n4']) {
        const members = await c.call<any>('GET', '/v1/members', undefined, { node });
        if (!members.members.every((m: any) => m.meta.configVersion === status.configRevision)) return false;
      }
      return true;
    });
    const local = await c.getConfig('mirror.probe', { local: true, node: 'n4' });
    expect(local).to.deep.include({ value: 'on', version: 1, revision: set.revision });
    expect((await fx.json('config', 'get', 'mirror.probe', '--local', '--node', 'n4')).value).to.equal('on');
  });

  it('history survives a Raft leader kill and a restart of every node (down, then up)', async () => {
    const c = fx.client({ timeoutMs: 10_000 });
    await c.setConfig('fo.level', '1', { type: 'int' });
    const leader = (await fx.json('core', 'status')).leader as string;
    await fx.json('node', 'kill', leader);
    // The next set goes to the new leader (the client retries while there is none).
    const v2 = await waitFor('a set after the leader kill', () => c.setConfig('fo.level', '2').catch(() => null), 20_000, 200);
    expect(v2!.version).to.equal(2);
    expect((await fx.json('config', 'set', 'fo.level', '3')).version).to.equal(3);
    const beforeRestart = await fx.json('config', 'history', 'app.timeout');
    expect((await fx.json('config', 'history', 'fo.level')).versions.map((v: ConfigEntryView) => v.value)).to.deep.equal([1, 2, 3]);
    await fx.json('node', 'start', leader);

    await fx.json('down');
    await fx.json('up');
    const after = await waitFor('config readable after up', () => fx.json('config', 'history', 'app.timeout').catch(() => null), 30_000, 250);
    expect(after).to.deep.equal(beforeRestart);
    expect((await fx.json('config', 'history', 'fo.level')).versions.map((v: ConfigEntryView) => v.value)).to.deep.equal([1, 2, 3]);
    expect((await fx.json('config', 'get', 'app.timeout')).value).to.equal(15);
    // Versions go on from the history after the restart.
    expect((await fx.json('config', 'set', 'fo.level', '4')).version).to.equal(4);
    const cAfter = fx.client();
    await waitFor('mirrors caught up after the restart', async () => (await cAfter.configStatus()).nodes.every((n) => n.isCaughtUp));
  });
});
