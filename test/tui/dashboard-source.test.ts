import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ClusterStatus } from '../../src/api/api-types.js';
import { clusterPaths, type ClusterPaths } from '../../src/cluster/cluster-dir.js';
import { DashboardSource, parseMembersView } from '../../src/tui/dashboard-source.js';
import { T0, snapshot } from './snapshot-fixtures.js';

/** A cluster dir with only logs in it; status comes from a fake reader that records how it was asked. */
describe('tui: DashboardSource (fake status reader, real log files)', () => {
  let home: string;
  let paths: ClusterPaths;
  let nowMs: number;
  let probes: boolean[];
  let status: ClusterStatus;

  const readStatus = async (_p: ClusterPaths, opts: { probeReachability: boolean }): Promise<ClusterStatus> => {
    probes.push(opts.probeReachability);
    return structuredClone(status);
  };
  const appendLine = (file: string, value: unknown): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, JSON.stringify(value) + '\n');
  };
  const nodeLog = (id: string) => path.join(paths.nodesDir, id, 'node.log');

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-tui-source-'));
    paths = clusterPaths(home, 'demo');
    fs.mkdirSync(paths.dir, { recursive: true });
    nowMs = T0;
    probes = [];
    status = snapshot().status;
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('probes reachability on the first poll, then carries that matrix until the probe is due again', async () => {
    const source = new DashboardSource(paths, { readStatus, now: () => nowMs, reachabilityEveryMs: 3000 });
    const first = await source.fetch();
    expect(first.reachability).to.deep.equal(status.reachability);
    expect(first.reachabilityProbedAtMs).to.equal(T0);
    // An unprobed status reads every cell false; the snapshot must keep the probed matrix instead.
    status = { ...status, reachability: Object.fromEntries(Object.keys(status.reachability).map((a) => [a, {}])) };
    nowMs = T0 + 1000;
    const second = await source.fetch();
    expect(second.reachability).to.deep.equal(first.reachability);
    expect(second.reachabilityProbedAtMs).to.equal(T0);
    nowMs = T0 + 3000;
    const third = await source.fetch();
    expect(third.reachabilityProbedAtMs).to.equal(T0 + 3000);
    expect(probes).to.deep.equal([true, false, true]);
  });

  it('merges events.log and node.log events, then adds only what was appended, within a bounded window', async () => {
    appendLine(paths.eventsLog, { ts: T0 + 2, source: 'cli', type: 'cluster-up', message: 'up' });
    appendLine(nodeLog('n1'), { ts: T0 + 1, source: 'n1', level: 'info', event: true, type: 'node-started', message: 'n1 started' });
    appendLine(nodeLog('n1'), { ts: T0 + 3, source: 'n1', level: 'info', message: 'an ordinary log line, not an event' });
    const source = new DashboardSource(paths, { readStatus, now: () => nowMs, eventWindow: 3 });
    expect((await source.fetch()).events.map((e) => e.type)).to.deep.equal(['node-started', 'cluster-up']);
    appendLine(nodeLog('n2'), { ts: T0 + 4, source: 'n2', level: 'info', event: true, type: 'node-started', message: 'n2 started' });
    appendLine(paths.eventsLog, { ts: T0 + 5, source: 'cli', type: 'node-kill', message: 'killed n1', node: 'n1' });
    const next = await source.fetch();
    expect(next.events.map((e) => `${e.source}:${e.type}`)).to.deep.equal(['cli:cluster-up', 'n2:node-started', 'cli:node-kill']);
    expect(next.events[0]).to.not.have.property('event');
  });

  it('without hooks there are no lease or config rows; a hook’s rows, error or silence show up per panel', async () => {
    const bare = await new DashboardSource(paths, { readStatus, now: () => nowMs }).fetch();
    expect(bare).to.not.have.property('leases');
    expect(bare).to.not.have.property('configVersions');

    const leases = [{ resource: 'lock/a', holder: 'w1', token: 9, ttlMs: 5000, remainingMs: 4000 }];
    let askedWith: ClusterStatus | null = null;
    const wired = await new DashboardSource(paths, {
      readStatus,
      now: () => nowMs,
      hooks: {
        fetchLeases: async (s) => ((askedWith = s), leases),
        fetchConfigVersions: async () => {
          throw new Error('no leader');
        },
      },
    }).fetch();
    expect(wired.leases).to.deep.equal(leases);
    expect(askedWith).to.deep.equal(status);
    expect(wired.configVersionsError).to.equal('no leader');
    expect(wired).to.not.have.property('configVersions');

    const silent = await new DashboardSource(paths, { readStatus, now: () => nowMs, hookTimeoutMs: 20, hooks: { fetchLeases: () => new Promise(() => undefined) } }).fetch();
    expect(silent.leasesError).to.equal('no answer within 20 ms');
  });

  it('a status that cannot be read fails the poll (the view shows a notice); the next poll can succeed', async () => {
    let isBroken = true;
    const source = new DashboardSource(paths, {
      now: () => nowMs,
      readStatus: async (p, o) => {
        if (isBroken) throw new Error('cluster "demo" does not exist');
        return readStatus(p, o);
      },
    });
    let error: Error | null = null;
    await source.fetch().catch((e: Error) => (error = e));
    expect(error).to.have.property('message', 'cluster "demo" does not exist');
    isBroken = false;
    expect((await source.fetch()).status.nodes).to.have.length(5);
  });

  it('reads phi, health and config version out of a /v1/members body, and tolerates one without them', () => {
    const body = {
      node: 'n1',
      members: [
        { id: 'n1', state: 'alive', phi: 0, isSelf: true, health: { status: 'warning', failing: ['disk'] }, meta: { configVersion: 4 } },
        { id: 'n2', state: 'alive', phi: 0.4, isSelf: false, health: null, meta: {} },
        { id: 'n3', state: 'suspect', phi: 6.5, isSelf: false },
        // A dead member's phi keeps growing; it is not a live peer's suspicion.
        { id: 'n4', state: 'dead', phi: 900, isSelf: false },
      ],
    };
    expect(parseMembersView(body, 'n1')).to.deep.equal({ maxPhi: 6.5, health: 'warning', configVersion: 4 });
    expect(parseMembersView({ members: [{ id: 'n1' }] }, 'n1')).to.deep.equal({ maxPhi: null, health: null, configVersion: null });
    expect(parseMembersView('not found', 'n1')).to.deep.equal({ maxPhi: null, health: null, configVersion: null });
  });

  it('with a panel in focus only its data is fetched; another panel keeps the rows from when it was last shown', async () => {
    const asked: string[] = [];
    let round = 0;
    const source = new DashboardSource(paths, {
      readStatus,
      now: () => nowMs,
      hooks: {
        fetchServices: async () => (asked.push('services'), [{ service: 'web', id: `web-${round}`, address: '127.0.0.1:80', status: 'passing', node: 'n1' }]),
        fetchElections: async () => (asked.push('elections'), [{ election: 'e', leader: `w${round}`, token: round, ttlLeftMs: null, candidates: [] }]),
        fetchWatches: async () => (asked.push('watches'), []),
      },
    });
    const all = await source.fetch();
    expect(asked).to.deep.equal(['services', 'elections', 'watches']);
    expect(all.services?.[0].id).to.equal('web-0');
    asked.length = 0;
    round = 1;
    const onElections = await source.fetch('elections');
    expect(asked).to.deep.equal(['elections']);
    expect(onElections.elections?.[0].leader).to.equal('w1');
    // Not asked again, but not lost either: switching back shows the last rows until the fresh ones arrive.
    expect(onElections.services?.[0].id).to.equal('web-0');
    expect(onElections.watches).to.deep.equal([]);
    asked.length = 0;
    await source.fetch('overview');
    expect(asked).to.deep.equal([]);
  });

  it('node details from the hook land in the snapshot', async () => {
    const nodeDetails = { n1: { maxPhi: 0.5, health: 'passing', configVersion: 2 } };
    const s = await new DashboardSource(paths, { readStatus, now: () => nowMs, hooks: { fetchNodeDetails: async () => nodeDetails } }).fetch();
    expect(s.nodeDetails).to.deep.equal(nodeDetails);
  });
});
