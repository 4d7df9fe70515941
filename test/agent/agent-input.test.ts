/**
 * `ccm agent` refusing what cannot work, on loopback (no root needed): each refusal is a clear error, a non-zero exit
 * within a bounded time, and the running agent is not disturbed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { requestJson } from '../../src/client/http-json.js';
import type { MembersView } from '../../src/api/api-types.js';
import { isPortFree } from '../../src/cluster/port-allocator.js';
import { stopProcessesUnder } from '../fixtures/teardown.js';

const BIN = path.resolve('bin/run.js');

async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + 4 * crypto.randomInt(2500);
    const free = await Promise.all([0, 1, 2, 3].map((d) => isPortFree('127.0.0.1', base + d, d === 2)));
    if (free.every(Boolean)) return base;
  }
}

describe('ccm agent: bad input is refused, and the running agent is not disturbed (real processes, loopback)', function () {
  this.timeout(90_000);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-agent-input-'));
  const env = { CCM_HOME: home, CCM_CLUSTER_KEY: crypto.randomBytes(32).toString('base64'), CCM_TOKEN: crypto.randomBytes(24).toString('base64url') };
  let base = 0;
  let seed = '';
  const ccm = async (args: string[], extraEnv: Record<string, string> = {}): Promise<{ exitCode: number; stderr: string; ms: number }> => {
    const t0 = performance.now();
    const r = await execa(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, reject: false, timeout: 40_000 });
    return { exitCode: r.exitCode ?? -1, stderr: String(r.stderr), ms: performance.now() - t0 };
  };
  const agent = (id: string, portBase: number, more: string[] = []): string[] => ['agent', '--id', id, '--bind', '127.0.0.1', '--base-port', String(portBase), '--dir', path.join(home, id + '-' + portBase), ...more];
  const members = (): Promise<MembersView> => requestJson<MembersView>({ host: '127.0.0.1', port: base, credentials: { token: env.CCM_TOKEN } }, 'GET', '/v1/members', undefined, { timeoutMs: 2000 });

  before(async () => {
    base = await freeBase();
    seed = `127.0.0.1:${base + 2}`;
    const r = await ccm([...agent('a1', base, ['--core', '--bootstrap-expect', '1', '--detach'])]);
    expect(r.exitCode, r.stderr).to.equal(0);
  });

  after(() => stopProcessesUnder(home));

  it('a bind address that is not this host\'s, with the host\'s addresses named', async () => {
    const r = await ccm(agent('a2', base + 10, ['--join', seed]).map((a) => (a === '127.0.0.1' ? '10.254.254.254' : a)));
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/--bind 10\.254\.254\.254 is not an address of this host/);
  });

  it('an unreachable seed: a non-zero exit within the join timeout', async () => {
    const r = await ccm(agent('a2', base + 10, ['--join', `127.0.0.1:${base + 102}`, '--join-timeout', '2s']));
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/no seed answered within 2 s/);
    expect(r.ms).to.be.below(20_000);
  });

  it('a wrong token is refused by the seed at once', async () => {
    const r = await ccm(agent('a2', base + 10, ['--join', seed]), { CCM_TOKEN: 'not-the-token-of-this-cluster' });
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/refused the token/);
  });

  it('a wrong cluster key: the seed refuses its hello; it exits non-zero saying so', async () => {
    const r = await ccm(agent('a2', base + 10, ['--join', seed, '--join-timeout', '2s']), { CCM_CLUSTER_KEY: crypto.randomBytes(32).toString('base64') });
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/cluster key is not the cluster's/);
  });

  it('a second agent with the id of a live one is refused', async () => {
    const r = await ccm(agent('a1', base + 20, ['--join', seed]));
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/a node with id a1 is already alive at 127\.0\.0\.1:\d+/);
  });

  it('no key at all, and --core without --bootstrap-expect: refused before anything starts', async () => {
    const noKey = await execa(process.execPath, [BIN, ...agent('a3', base + 30, ['--keyring-file', path.join(home, 'missing.json')])], { env, reject: false });
    expect(noKey.exitCode).to.equal(1);
    expect(String(noKey.stderr)).to.match(/--keyring-file .*no such file/);
    const r = await ccm(agent('a3', base + 30, ['--core']));
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/--core needs --bootstrap-expect/);
  });

  it('after all that, the first agent runs on alone, and its key and token still work', async () => {
    const view = await members();
    expect(view.members.map((m) => [m.id, m.state])).to.deep.equal([['a1', 'alive']]);
    const put = await ccm(['kv', 'put', '/still', 'here', '--endpoints', `127.0.0.1:${base}`]);
    expect(put.exitCode, put.stderr).to.equal(0);
  });
});
