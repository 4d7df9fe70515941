import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { checkNewClusterDir, clusterPaths, ensureWritableDir, isClusterDir, removeClusterDir } from '../../src/cluster/cluster-dir.js';
import { readClusterFile, updateClusterFile, writeClusterFile, DEFAULT_SECURITY, DEFAULT_SETTINGS, type ClusterFile } from '../../src/cluster/cluster-file.js';
import { validateUpOptions } from '../../src/cluster/launcher.js';
import { parseCoreChoice, parseEtcdEndpoints } from '../../src/cluster/etcd-members.js';
import { allocatePorts, isPortFree } from '../../src/cluster/port-allocator.js';
import { processState } from '../../src/cluster/process-table.js';
import net from 'node:net';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

function sample(): ClusterFile {
  return {
    version: 1,
    name: 't',
    host: '127.0.0.1',
    createdAtMs: 1,
    core: ['n1'],
    heal: true,
    supervisorPid: null,
    nodes: [{ id: 'n1', ports: { http: 30000, peer: 30001, gossip: 30002 }, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 }],
    faults: [],
    settings: DEFAULT_SETTINGS,
    security: DEFAULT_SECURITY,
  };
}

describe('launcher bookkeeping', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-unit-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('cluster.json round-trips and updates under the lock', async () => {
    const p = clusterPaths(home, 't');
    writeClusterFile(p, sample());
    await updateClusterFile(p, (f) => (f.nodes[0].pid = 1234));
    expect(readClusterFile(p).nodes[0].pid).to.equal(1234);
    expect(fs.existsSync(p.lockFile)).to.equal(false);
  });

  it('concurrent updates under the lock lose nothing', async () => {
    const p = clusterPaths(home, 't');
    writeClusterFile(p, sample());
    await Promise.all(Array.from({ length: 20 }, () => updateClusterFile(p, (f) => f.nodes[0].restarts++)));
    expect(readClusterFile(p).nodes[0].restarts).to.equal(20);
  });

  it('a stale lock from a dead process is taken over', async () => {
    const p = clusterPaths(home, 't');
    writeClusterFile(p, sample());
    fs.writeFileSync(p.lockFile, '999999999');
    await updateClusterFile(p, (f) => (f.heal = false));
    expect(readClusterFile(p).heal).to.equal(false);
  });

  it('a missing cluster is not_running; a corrupt one says what is wrong', () => {
    const p = clusterPaths(home, 't');
    expect(() => readClusterFile(p)).to.throw(CcmError, /does not exist/);
    fs.mkdirSync(p.dir, { recursive: true });
    fs.writeFileSync(p.clusterFile, '{"version":1');
    expect(() => readClusterFile(p)).to.throw(CcmError, /corrupt: not valid JSON/);
    const bad = sample() as any;
    bad.nodes.push({ ...bad.nodes[0] });
    fs.writeFileSync(p.clusterFile, JSON.stringify(bad));
    expect(() => readClusterFile(p)).to.throw(CcmError, /appears twice/);
    bad.nodes = [{ ...bad.nodes[0], ports: { http: 70000, peer: 1, gossip: 2 } }];
    fs.writeFileSync(p.clusterFile, JSON.stringify(bad));
    expect(() => readClusterFile(p)).to.throw(CcmError, /ports\.http/);
  });

  it('an etcd backend record is checked: mode, endpoints, member ids and ports; a node id cannot be a member\'s', () => {
    const p = clusterPaths(home, 't');
    const member = { id: 'e1', clientPort: 31000, peerPort: 31001, pid: null, desired: 'running', paused: false, startedAtMs: null, restarts: 0 };
    const withEtcd = (etcd: unknown): void => writeClusterFile(p, { ...sample(), core: [], etcd } as any);
    withEtcd({ mode: 'local', endpoints: ['http://127.0.0.1:31000'], members: [member] });
    expect(readClusterFile(p).etcd!.members[0].id).to.equal('e1');
    const cases: [unknown, RegExp][] = [
      [{ mode: 'remote', endpoints: ['http://127.0.0.1:1'], members: [] }, /etcd\.mode/],
      [{ mode: 'external', endpoints: [], members: [] }, /etcd\.endpoints/],
      [{ mode: 'external', endpoints: ['127.0.0.1:2379'], members: [] }, /etcd\.endpoints/],
      [{ mode: 'external', endpoints: ['http://h:1'], members: [member] }, /no local members/],
      [{ mode: 'local', endpoints: ['http://h:1'], members: [{ ...member, id: 'n1' }] }, /etcd\.members\[0\]\.id/],
      [{ mode: 'local', endpoints: ['http://h:1'], members: [member, member] }, /etcd\.members\[1\]\.id/],
      [{ mode: 'local', endpoints: ['http://h:1'], members: [{ ...member, peerPort: 0 }] }, /peerPort/],
      [{ mode: 'local', endpoints: ['http://h:1'], members: [{ ...member, pid: -3 }] }, /pid/],
    ];
    for (const [etcd, problem] of cases) {
      withEtcd(etcd);
      expect(() => readClusterFile(p), JSON.stringify(etcd)).to.throw(CcmError, problem);
    }
  });

  it('--core etcd and --etcd-endpoints: parsed, and refused with a clear error when malformed', () => {
    expect(parseCoreChoice('etcd', undefined)).to.deep.equal({ etcd: { local: true } });
    expect(parseCoreChoice('3', undefined)).to.deep.equal({ core: 3 });
    expect(parseCoreChoice(undefined, 'http://a:1, http://b:2/')).to.deep.equal({ etcd: { endpoints: ['http://a:1', 'http://b:2'], access: {} } });
    expect(() => parseCoreChoice('3x', undefined)).to.throw(CcmError, /--core takes/);
    expect(() => parseCoreChoice('etcd', 'http://a:1')).to.throw(CcmError, /give no --core/);
    for (const bad of ['', 'a:1', 'ftp://a:1', 'http://a', 'http://a:1/v3', 'http://a:1?x=1']) expect(() => parseEtcdEndpoints(bad), bad).to.throw(CcmError, /--etcd-endpoints/);
    expect(validateUpOptions({ nodes: 3, etcd: { local: true } })).to.deep.equal({ nodes: 3, core: 0 });
  });

  it('an etcd member id names an etcd process only (a node program is never taken for one)', () => {
    expect(processState(process.pid, 'e1')).to.equal('stopped');
  });

  it('cluster names and up options are validated', () => {
    expect(() => clusterPaths(home, '../evil')).to.throw(CcmError);
    expect(() => validateUpOptions({ nodes: 0 })).to.throw(/--nodes/);
    expect(() => validateUpOptions({ nodes: 101 })).to.throw(/--nodes/);
    expect(() => validateUpOptions({ nodes: 1.5 })).to.throw(/--nodes/);
    expect(() => validateUpOptions({ nodes: 5, core: 2 })).to.throw(/odd/);
    expect(() => validateUpOptions({ nodes: 5, core: 0 })).to.throw(/odd/);
    expect(() => validateUpOptions({ nodes: 3, core: 5 })).to.throw(/more than --nodes/);
    expect(validateUpOptions({ nodes: 5 })).to.deep.equal({ nodes: 5, core: 3 });
    expect(validateUpOptions({ nodes: 1 })).to.deep.equal({ nodes: 1, core: 1 });
    expect(validateUpOptions({ nodes: 2 })).to.deep.equal({ nodes: 2, core: 1 });
  });

  it('an unwritable or impossible cluster dir is a clear error', () => {
    const file = path.join(home, 'afile');
    fs.writeFileSync(file, '');
    expect(() => ensureWritableDir(path.join(file, 'sub'))).to.throw(CcmError, /not writable/);
    expect(() => ensureWritableDir('/proc/ccm-test-nope')).to.throw(CcmError, /not writable/);
  });

  it('ports: distinct and free; a taken base port is named', async () => {
    const ports = await allocatePorts('127.0.0.1', 10);
    const all = ports.flatMap((p) => [p.http, p.peer, p.gossip, p.etcd]);
    expect(new Set(all).size).to.equal(40);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      expect(await isPortFree('127.0.0.1', taken)).to.equal(false);
      let err: unknown;
      try {
        await allocatePorts('127.0.0.1', 1, { basePort: taken });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CcmError);
      expect((err as Error).message).to.include(`port ${taken}`);
    } finally {
      server.close();
    }
  });

  it('a recorded pid that is not our node reads as stopped (reused pid, reboot)', () => {
    expect(processState(process.pid, 'n1')).to.equal('stopped');
    expect(processState(null, 'n1')).to.equal('stopped');
    expect(processState(2 ** 22 + 12345, 'n1')).to.equal('stopped');
  });
});

describe('down --purge deletes only a ccm cluster directory', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-purge-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('`--dir <project> --name src` refuses, through the real CLI, and ./src is untouched', async () => {
    const src = path.join(home, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'main.ts'), 'precious');
    const r = await execa(process.execPath, [BIN, 'down', '--purge', '--dir', home, '--name', 'src'], { reject: false });
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/refusing to delete .*src: it does not hold a ccm cluster\.json/);
    expect(fs.readFileSync(path.join(src, 'main.ts'), 'utf8')).to.equal('precious');
    // Nor does `up` make a cluster among someone else's files.
    expect(() => checkNewClusterDir(clusterPaths(home, 'src'))).to.throw(CcmError, /is not a ccm cluster's directory/);
  });

  it('a directory with a cluster file that is not ccm\'s is refused; a ccm one, even damaged, is deleted', async () => {
    const p = clusterPaths(home, 'c');
    fs.mkdirSync(p.dir);
    fs.writeFileSync(p.clusterFile, '{"their": "config"}');
    expect(isClusterDir(p)).to.equal(false);
    expect(() => removeClusterDir(p)).to.throw(CcmError, /refusing/);
    expect(fs.existsSync(p.dir)).to.equal(true);
    writeClusterFile(p, sample());
    expect(isClusterDir(p)).to.equal(true);
    fs.writeFileSync(p.clusterFile, '{"version": 1, "nodes": [');
    fs.mkdirSync(p.nodesDir);
    expect(isClusterDir(p)).to.equal(true);
    removeClusterDir(p);
    expect(fs.existsSync(p.dir)).to.equal(false);
  });
});
