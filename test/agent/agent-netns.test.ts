/**
 * `ccm agent` across real hosts: one Linux network namespace per host, each with its own address on a bridge (in a
 * namespace of its own, so the host's own network is not touched; the test process reaches the bridge through one
 * more veth). Every agent uses the SAME ports, on its own address, as on separate machines. Needs root and `ip`.
 *
 * Covers: join (and how long until a new agent is alive in every view), a lease taken on one host and refused on
 * another, a partition between hosts made by `ccm chaos partition --endpoints` (each node's own link filter), a
 * killed host declared dead everywhere (and how long that takes), and a graceful leave.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execa, type ResultPromise } from 'execa';
import { requestJson } from '../../src/client/http-json.js';
import type { MembersView } from '../../src/api/api-types.js';
import { processesUnder } from '../fixtures/teardown.js';
import { waitFor } from '../fixtures/cluster-fixture.js';

const BIN = path.resolve('bin/run.js');
const BASE_PORT = 7100;
const GOSSIP_INTERVAL = '200ms';

function canMakeNamespaces(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  if (spawnSync('ip', ['-V']).status !== 0) return '`ip` (iproute2) is not installed';
  return null;
}

/** One test run's namespaces and links, all named with the prefix `ccmt<tag>` so a leftover is recognisable. */
class Hosts {
  readonly tag = crypto.randomBytes(2).toString('hex');
  /** 10.213.<subnet>.0/24: a private range unlikely to be in use; .254 is the test process's own end. */
  readonly subnet = 1 + crypto.randomInt(250);
  readonly switchNs = `ccmt${this.tag}-sw`;
  readonly rootLink = `ccmt${this.tag}r`;
  readonly made: string[] = [];

  ns(i: number): string {
    return `ccmt${this.tag}-h${i}`;
  }

  address(i: number): string {
    return `10.213.${this.subnet}.${i}`;
  }

  private ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private inNs(ns: string, ...args: string[]): void {
    this.ip('netns', 'exec', ns, 'ip', ...args);
  }

  /** The switch (a bridge in its own namespace) and the test process's link to it. */
  makeSwitch(): void {
    this.ip('netns', 'add', this.switchNs);
    this.made.push(this.switchNs);
    const bridge = `ccmt${this.tag}br`;
    this.inNs(this.switchNs, 'link', 'add', bridge, 'type', 'bridge');
    this.inNs(this.switchNs, 'link', 'set', bridge, 'up');
    this.ip('link', 'add', this.rootLink, 'type', 'veth', 'peer', 'name', `ccmt${this.tag}s0`);
    this.ip('link', 'set', `ccmt${this.tag}s0`, 'netns', this.switchNs);
    this.inNs(this.switchNs, 'link', 'set', `ccmt${this.tag}s0`, 'master', bridge, 'up');
    this.ip('addr', 'add', `${this.address(254)}/24`, 'dev', this.rootLink);
    this.ip('link', 'set', this.rootLink, 'up');
  }

  /** Host i: a namespace with one veth to the switch, address 10.213.<subnet>.i/24. */
  makeHost(i: number): void {
    const ns = this.ns(i);
    this.ip('netns', 'add', ns);
    this.made.push(ns);
    const inside = `ccmt${this.tag}h${i}`;
    const outside = `ccmt${this.tag}s${i}`;
    this.ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    this.ip('link', 'set', outside, 'netns', this.switchNs);
    this.ip('link', 'set', inside, 'netns', ns);
    this.inNs(this.switchNs, 'link', 'set', outside, 'master', `ccmt${this.tag}br`, 'up');
    this.inNs(ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', inside);
    this.inNs(ns, 'link', 'set', inside, 'up');
    this.inNs(ns, 'link', 'set', 'lo', 'up');
  }

  /** Deleting a namespace destroys its links; the root end of a veth goes with its peer. */
  remove(): string[] {
    for (const ns of [...this.made].reverse()) spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', this.rootLink]);
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    return listed.split('\n').filter((l) => l.startsWith(`ccmt${this.tag}`));
  }
}

describe('ccm agent across hosts (Linux network namespaces, real processes)', function () {
  this.timeout(120_000);
  const reason = canMakeNamespaces();
  const hosts = new Hosts();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-agents-'));
  const env = {
    CCM_HOME: home,
    CCM_CLUSTER_KEY: crypto.randomBytes(32).toString('base64'),
    CCM_TOKEN: crypto.randomBytes(24).toString('base64url'),
  };
  const agents = new Map<number, ResultPromise>();
  const figures: string[] = [];
  let ready = false;

  const members = (i: number): Promise<MembersView> =>
    requestJson<MembersView>({ host: hosts.address(i), port: BASE_PORT, credentials: { token: env.CCM_TOKEN } }, 'GET', '/v1/members', undefined, { timeoutMs: 1000 });
  /** Member `id`'s state in host i's view ('?' when i does not answer). */
  const stateIn = async (i: number, id: string): Promise<string> => {
    try {
      return (await members(i)).members.find((m) => m.id === id)?.state ?? 'unknown';
    } catch {
      return '?';
    }
  };
  const everyView = async (viewers: number[], id: string, state: string): Promise<boolean> => (await Promise.all(viewers.map((v) => stateIn(v, id)))).every((s) => s === state);
  const endpoints = (...is: number[]): string => is.map((i) => `${hosts.address(i)}:${BASE_PORT}`).join(',');
  const ccm = async (...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const r = await execa(process.execPath, [BIN, ...args], { env, reject: false, timeout: 30_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const startAgent = (i: number, opts: { core: boolean }): ResultPromise => {
    const args = ['agent', '--id', `h${i}`, '--bind', hosts.address(i), '--base-port', String(BASE_PORT), '--dir', path.join(home, `h${i}`), '--gossip-interval', GOSSIP_INTERVAL];
    if (opts.core) args.push('--core', '--bootstrap-expect', '3');
    if (i !== 1) args.push('--join', `${hosts.address(1)}:${BASE_PORT + 2}`);
    const child = execa('ip', ['netns', 'exec', hosts.ns(i), process.execPath, BIN, ...args], { env, reject: false, stdio: ['ignore', 'ignore', 'pipe'] });
    agents.set(i, child);
    return child;
  };

  before(function () {
    if (reason) this.skip();
    try {
      hosts.makeSwitch();
      for (const i of [1, 2, 3, 4]) hosts.makeHost(i);
      ready = true;
    } catch (err) {
      // A container may refuse namespaces even to root: say so rather than fail.
      const left = hosts.remove();
      if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(', ')}`);
      figures.push(`skipped: cannot make network namespaces here: ${(err as Error & { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`);
      this.skip();
    }
  });

  after(async function () {
    if (reason) {
      console.log(`      skipped: ${reason}`);
      return;
    }
    for (const line of figures) console.log(`      ${line}`);
    for (const child of agents.values()) child.kill('SIGKILL');
    await Promise.allSettled([...agents.values()]);
    const stray = processesUnder(home);
    for (const pid of stray) process.kill(pid, 'SIGKILL');
    const left = hosts.remove();
    fs.rmSync(home, { recursive: true, force: true });
    expect(stray, 'processes left running under the agents home').to.deep.equal([]);
    expect(left, 'network namespaces left behind').to.deep.equal([]);
  });

  it('3 core agents on 3 hosts form the core; a 4th host joins and is alive in every view', async function () {
    if (!ready) this.skip();
    for (const i of [1, 2, 3]) startAgent(i, { core: true });
    await waitFor('h1, h2, h3 alive in each other\'s views', async () => (await Promise.all([1, 2, 3].map((i) => everyView([1, 2, 3], `h${i}`, 'alive')))).every(Boolean), 30_000, 50);
    await waitFor('a write through host 2', async () => (await ccm('kv', 'put', '/hosts/x', 'y', '--endpoints', endpoints(2))).exitCode === 0, 30_000, 250);

    const t0 = performance.now();
    startAgent(4, { core: false });
    let answeredAt = 0;
    await waitFor(
      'h4 alive in the view of h1, h2 and h3',
      async () => {
        if (answeredAt === 0 && (await stateIn(4, 'h4')) === 'alive') answeredAt = performance.now();
        return everyView([1, 2, 3], 'h4', 'alive');
      },
      20_000,
      20,
    );
    const joinMs = Math.round(performance.now() - t0);
    const startMs = answeredAt === 0 ? joinMs : Math.round(answeredAt - t0);
    figures.push(`join: ccm agent start -> alive in every other view: ${joinMs} ms (gossip ${GOSSIP_INTERVAL}); of it, process start until its own API answered: ${startMs} ms`);

    const view = await ccm('members', '--endpoints', endpoints(1, 2, 3, 4), '--json');
    expect(view.exitCode, view.stderr).to.equal(0);
    const rows = (JSON.parse(view.stdout) as MembersView).members;
    expect(rows.map((m) => [m.id, m.address, m.state])).to.deep.equal([1, 2, 3, 4].map((i) => [`h${i}`, `${hosts.address(i)}:${BASE_PORT + 2}`, 'alive']));
    const status = await ccm('status', '--endpoints', endpoints(4), '--json');
    expect(status.exitCode, status.stderr).to.equal(0);
    const nodes = (JSON.parse(status.stdout) as { nodes: { id: string; host: string; kind: string }[] }).nodes;
    expect(nodes.map((n) => [n.id, n.host])).to.deep.equal([1, 2, 3, 4].map((i) => [`h${i}`, hosts.address(i)]));
    expect(nodes.filter((n) => n.kind === 'core').map((n) => n.id)).to.deep.equal(['h1', 'h2', 'h3']);
  });

  it('a lease taken on one host is refused on another', async function () {
    if (!ready) this.skip();
    const first = await ccm('lease', 'acquire', 'printer', '--holder', 'on-h1', '--ttl', '20s', '--endpoints', endpoints(1), '--json');
    expect(first.exitCode, first.stderr).to.equal(0);
    const second = await ccm('lease', 'acquire', 'printer', '--holder', 'on-h4', '--ttl', '20s', '--endpoints', endpoints(4));
    expect(second.exitCode).to.equal(1);
    expect(second.stderr).to.match(/held by on-h1/);
  });

  it('a partition between hosts (each node\'s link filter, by --endpoints) isolates h4 both ways; heal brings it back', async function () {
    if (!ready) this.skip();
    const cut = await ccm('chaos', 'partition', 'h4', 'h1,h2,h3', '--endpoints', endpoints(1, 2, 3, 4));
    expect(cut.exitCode, cut.stderr).to.equal(0);
    await waitFor('h4 dead in h1 view, h1 dead in h4 view', async () => (await everyView([1, 2], 'h4', 'dead')) && (await everyView([4], 'h1', 'dead')), 20_000, 50);
    const heal = await ccm('chaos', 'heal', '--endpoints', endpoints(1, 2, 3, 4));
    expect(heal.exitCode, heal.stderr).to.equal(0);
    await waitFor('every host alive in every view again', async () => (await Promise.all([1, 2, 3, 4].map((i) => everyView([1, 2, 3, 4], `h${i}`, 'alive')))).every(Boolean), 20_000, 50);
  });

  it('a killed host is declared dead in every other view', async function () {
    if (!ready) this.skip();
    expect(await everyView([1, 2, 4], 'h3', 'alive'), 'h3 alive everywhere before the kill').to.equal(true);
    const t0 = performance.now();
    agents.get(3)!.kill('SIGKILL');
    await waitFor('h3 dead in the views of h1, h2 and h4', () => everyView([1, 2, 4], 'h3', 'dead'), 20_000, 20);
    figures.push(`dead: host killed -> dead in every other view: ${Math.round(performance.now() - t0)} ms (gossip ${GOSSIP_INTERVAL})`);
    // The core keeps its quorum (h1, h2): reads and writes still work, from any host.
    expect((await ccm('kv', 'put', '/hosts/after-kill', 'z', '--endpoints', endpoints(4))).exitCode).to.equal(0);
  });

  it('SIGTERM is a graceful leave: the host shows as left, not dead', async function () {
    if (!ready) this.skip();
    const h4 = agents.get(4)!;
    h4.kill('SIGTERM');
    const ended = await h4;
    expect(ended.exitCode, String(ended.stderr)).to.equal(0);
    await waitFor('h4 left in the views of h1 and h2', () => everyView([1, 2], 'h4', 'left'), 10_000, 50);
  });
});
