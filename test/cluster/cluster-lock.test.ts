import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { clusterPaths, type ClusterPaths } from '../../src/cluster/cluster-dir.js';
import { DEFAULT_SECURITY, DEFAULT_SETTINGS, readClusterFile, writeClusterFile, type ClusterFile } from '../../src/cluster/cluster-file.js';
import { withClusterLock } from '../../src/cluster/cluster-lock.js';

const CLUSTER_FILE_MODULE = fileURLToPath(new URL('../../src/cluster/cluster-file.js', import.meta.url));
const DIR_MODULE = fileURLToPath(new URL('../../src/cluster/cluster-dir.js', import.meta.url));

function sample(): ClusterFile {
  return {
    version: 1,
    name: 't',
    host: '127.0.0.1',
    createdAtMs: 1,
    core: ['n1'],
    security: { ...DEFAULT_SECURITY },
    heal: true,
    supervisorPid: null,
    nodes: [{ id: 'n1', ports: { http: 30000, peer: 30001, gossip: 30002 }, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 }],
    faults: [],
    settings: DEFAULT_SETTINGS,
  };
}

/**
 * `processes` real processes, released at once, each making `updates` read-modify-writes of cluster.json (a counter)
 * that take a few milliseconds each, as the CLI's and the supervisor's do. Returns the counter at the end.
 */
async function race(paths: ClusterPaths, processes: number, updates: number, env: Record<string, string> = {}): Promise<number> {
  const go = path.join(paths.home, 'go');
  const script = `
    import fs from 'node:fs';
    import { updateClusterFile } from ${JSON.stringify(CLUSTER_FILE_MODULE)};
    import { clusterPaths } from ${JSON.stringify(DIR_MODULE)};
    const paths = clusterPaths(${JSON.stringify(paths.home)}, 't');
    fs.writeFileSync(${JSON.stringify(path.join(paths.home, 'ready-'))} + process.pid, '');
    while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
    for (let i = 0; i < ${updates}; i++) {
      await updateClusterFile(paths, (f) => {
        const busyUntil = Date.now() + 3;
        while (Date.now() < busyUntil);
        f.nodes[0].restarts++;
      });
    }
  `;
  const children = Array.from({ length: processes }, () => execa(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, timeout: 60_000 }));
  // Released together once every one is waiting at the barrier.
  while (fs.readdirSync(paths.home).filter((f) => f.startsWith('ready-')).length < processes) await new Promise((r) => setTimeout(r, 10));
  fs.writeFileSync(go, '');
  await Promise.all(children);
  return readClusterFile(paths).nodes[0].restarts;
}

describe('the cluster.json lock, across real processes', function () {
  this.timeout(120_000);
  let home: string;
  let paths: ClusterPaths;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-lock-'));
    paths = clusterPaths(home, 't');
    writeClusterFile(paths, sample());
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const leftovers = (): string[] => fs.readdirSync(paths.dir).filter((f) => f.includes('lock'));

  it('8 processes x 10 updates: none is lost, and no lock file is left behind', async () => {
    expect(await race(paths, 8, 10)).to.equal(80);
    expect(leftovers()).to.deep.equal([]);
  });

  it('the same race without the lock (test-only CCM_UNSAFE_NO_CLUSTER_LOCK=1) loses updates: the test above can fail', async () => {
    expect(await race(paths, 8, 10, { CCM_UNSAFE_NO_CLUSTER_LOCK: '1' })).to.be.below(80);
  });

  it('a lock left by a dead process is taken over once, with 8 processes racing for it, and nothing is lost', async () => {
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(paths.lockFile, JSON.stringify({ pid: Number(dead.stdout), startTicks: 1, token: 'deadbeef-1' }));
    expect(await race(paths, 8, 5)).to.equal(40);
    expect(leftovers()).to.deep.equal([]);
  });

  it('a lock in the old format (a bare pid) of a dead process is taken over too', async () => {
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(paths.lockFile, dead.stdout);
    expect(await race(paths, 4, 3)).to.equal(12);
  });

  it('release removes only its own lock; a live holder is waited for', async () => {
    await withClusterLock(paths, () => {
      // Someone else's lock where ours was (it cannot happen with link(), but release must not trust that).
      fs.rmSync(paths.lockFile);
      fs.writeFileSync(paths.lockFile, JSON.stringify({ pid: process.pid, startTicks: null, token: 'someone-else' }));
    });
    expect(JSON.parse(fs.readFileSync(paths.lockFile, 'utf8')).token).to.equal('someone-else');
    // That holder (this live process) keeps it: a second taker waits, then times out with a clear error.
    const started = Date.now();
    const err = await withClusterLock(paths, () => 'got it', { waitMs: 300 }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(Error).with.property('message').that.matches(/is locked by process \d+/);
    expect(Date.now() - started).to.be.at.least(300);
  });
});
