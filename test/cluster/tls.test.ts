import { execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { expect } from 'chai';
import { execa } from 'execa';
import { CcmClient } from '../../src/client/ccm-client.js';
import { ClusterFixture } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** `ccm up --tls`: the API over HTTPS with the cluster's own CA, which the CLI trusts and nothing else does. */
describe('TLS for the HTTP API (real processes, real HTTPS clients)', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '1', '--tls');
  });
  after(async () => expectNoProcessLeft(fx));

  it('the CLI works unchanged; curl and Node trust the cluster CA; without it, or over plain HTTP, nothing gets through', async function () {
    expect((await fx.ccm('kv', 'put', '/tls', 'on')).exitCode).to.equal(0);
    expect((await fx.json<{ kvs: { value: string }[] }>('kv', 'get', '/tls')).kvs[0].value).to.equal('on');
    const env = await fx.json<{ CCM_TOKEN: string; CCM_ENDPOINTS: string; CCM_CACERT: string }>('env');
    expect(env.CCM_ENDPOINTS).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(fs.readFileSync(env.CCM_CACERT, 'utf8')).to.match(/BEGIN CERTIFICATE/);
    const url = new URL(`${env.CCM_ENDPOINTS}/v1/kv?key=/tls`);

    // Node's https, trusting only the cluster CA (hostname checked against the certificate's 127.0.0.1).
    const get = (options: https.RequestOptions, mod: typeof https | typeof http = https): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = (mod as typeof https).get({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent: false, ...options }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      });
    const auth = { authorization: `Bearer ${env.CCM_TOKEN}` };
    expect(await get({ ca: fs.readFileSync(env.CCM_CACERT), headers: auth })).to.equal(200);
    expect(await get({ ca: fs.readFileSync(env.CCM_CACERT) })).to.equal(401);
    const untrusted = await get({ headers: auth }).catch((e: NodeJS.ErrnoException) => e);
    expect(String((untrusted as NodeJS.ErrnoException).code)).to.match(/CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF)/);
    const plain = await get({ headers: auth }, http).then(
      (code) => code,
      (e: Error) => e,
    );
    expect(plain, 'plain HTTP to the TLS port').to.not.equal(200);

    // The typed client from the environment a script gets.
    const client = CcmClient.fromEnv({ CCM_ENDPOINTS: env.CCM_ENDPOINTS, CCM_TOKEN: env.CCM_TOKEN, CCM_CACERT: env.CCM_CACERT });
    expect((await client.get('/tls')).kvs[0].value).to.equal('on');

    // curl, a client that shares nothing with ours.
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' });
    } catch {
      this.skip(); // skipped: curl is not installed
    }
    const curled = await execa('curl', ['-s', '--cacert', env.CCM_CACERT, '-H', `Authorization: Bearer ${env.CCM_TOKEN}`, url.toString()], { reject: false });
    expect(JSON.parse(curled.stdout).kvs[0].value).to.equal('on');
    const refused = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url.toString()], { reject: false });
    expect(refused.exitCode, 'curl without the CA refuses the certificate').to.not.equal(0);
  });
});
