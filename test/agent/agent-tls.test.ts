/**
 * Agents serving their API over HTTPS with certificates given as files (an operator's own CA, made here with openssl):
 * a second agent asks its seed over HTTPS trusting only that CA, and the CLI reaches them with --endpoints --cacert.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { isPortFree } from '../../src/cluster/port-allocator.js';
import { stopProcessesUnder } from '../fixtures/teardown.js';
import { makeTestCertificates, opensslMissingReason } from '../fixtures/test-ca.js';

const BIN = path.resolve('bin/run.js');

describe('ccm agent over HTTPS (certificate files, real processes, loopback)', function () {
  this.timeout(90_000);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-agent-tls-'));
  const env = { CCM_HOME: home, CCM_CLUSTER_KEY: crypto.randomBytes(32).toString('base64'), CCM_TOKEN: crypto.randomBytes(24).toString('base64url') };
  const pki = path.join(home, 'pki');
  let base = 0;
  const ccm = async (...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const r = await execa(process.execPath, [BIN, ...args], { env, reject: false, timeout: 40_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const tlsFlags = (): string[] => ['--cert-file', path.join(pki, 'agent.crt'), '--key-file', path.join(pki, 'agent.key'), '--ca-file', path.join(pki, 'ca.crt')];

  before(async function () {
    const missing = opensslMissingReason();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    makeTestCertificates(pki, 'test agents CA', 'agent');
    for (;;) {
      base = 20_000 + 4 * crypto.randomInt(2500);
      const free = await Promise.all([0, 1, 2, 3, 10, 11, 12, 13].map((d) => isPortFree('127.0.0.1', base + d, d % 10 === 2)));
      if (free.every(Boolean)) break;
    }
  });

  after(() => stopProcessesUnder(home));

  it('two agents join over HTTPS; the CLI works with --cacert and refuses https without it', async () => {
    const a1 = await ccm('agent', '--id', 'a1', '--bind', '127.0.0.1', '--base-port', String(base), '--dir', path.join(home, 'a1'), '--core', '--bootstrap-expect', '1', '--detach', ...tlsFlags());
    expect(a1.exitCode, a1.stderr).to.equal(0);
    const a2 = await ccm('agent', '--id', 'a2', '--bind', '127.0.0.1', '--base-port', String(base + 10), '--dir', path.join(home, 'a2'), '--join', `127.0.0.1:${base + 2}`, '--detach', ...tlsFlags());
    expect(a2.exitCode, a2.stderr).to.equal(0);
    const cacert = path.join(pki, 'ca.crt');
    const put = await ccm('kv', 'put', '/tls', 'on', '--endpoints', `https://127.0.0.1:${base + 10}`, '--cacert', cacert);
    expect(put.exitCode, put.stderr).to.equal(0);
    const members = await ccm('members', '--endpoints', `https://127.0.0.1:${base}`, '--cacert', cacert, '--json');
    expect(members.exitCode, members.stderr).to.equal(0);
    expect(JSON.parse(members.stdout).members.map((m: { id: string; state: string }) => `${m.id}:${m.state}`)).to.deep.equal(['a1:alive', 'a2:alive']);
    const noCa = await ccm('kv', 'get', '/tls', '--endpoints', `https://127.0.0.1:${base}`);
    expect(noCa.exitCode).to.equal(1);
    expect(noCa.stderr).to.match(/needs the cluster CA: --cacert/);
    // Plain HTTP to an HTTPS agent does not get through either.
    const plain = await ccm('kv', 'get', '/tls', '--endpoints', `127.0.0.1:${base}`);
    expect(plain.exitCode).to.equal(1);
  });

  it('a certificate without its key is refused before anything starts', async () => {
    const r = await ccm('agent', '--id', 'a3', '--bind', '127.0.0.1', '--base-port', String(base + 20), '--dir', path.join(home, 'a3'), '--cert-file', path.join(pki, 'agent.crt'));
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/needs all three: --cert-file, --key-file and --ca-file/);
  });
});
