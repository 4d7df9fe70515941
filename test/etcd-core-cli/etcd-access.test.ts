import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCoreChoice } from '../../src/cluster/etcd-members.js';

/** `ccm up --etcd-*` flags, as parsed before anything starts: each inconsistency is refused with a clear error. */
describe('ccm up: credentials for an existing etcd (parsed)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-etcd-access-'));
  const pem = path.join(dir, 'ca.pem');
  const pw = path.join(dir, 'pw');
  fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  fs.writeFileSync(pw, 's3cret\n');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const parse = (endpoints: string | undefined, flags: Record<string, string>, env: Record<string, string> = {}) => parseCoreChoice(undefined, endpoints, flags, env);

  it('takes the password from the environment or a file (its last newline dropped), the CA for https', () => {
    const fromEnv = parse('https://10.0.0.5:2379', { user: 'ccm', cacert: pem }, { CCM_ETCD_PASSWORD: 'p' });
    expect(fromEnv.etcd).to.deep.include({ endpoints: ['https://10.0.0.5:2379'] });
    const access = (fromEnv.etcd as { access: { auth?: unknown; tls?: { ca: Buffer } } }).access;
    expect(access.auth).to.deep.equal({ username: 'ccm', password: 'p' });
    expect(access.tls!.ca.toString()).to.match(/BEGIN CERTIFICATE/);
    const fromFile = parse('http://10.0.0.5:2379', { user: 'ccm', passwordFile: pw });
    expect((fromFile.etcd as { access: { auth?: unknown } }).access.auth).to.deep.equal({ username: 'ccm', password: 's3cret' });
    expect((parse('http://10.0.0.5:2379', {}).etcd as { access: object }).access).to.deep.equal({});
  });

  it('refuses what does not fit', () => {
    const refused: [string | undefined, Record<string, string>, Record<string, string>, RegExp][] = [
      ['https://10.0.0.5:2379', {}, {}, /is https: .*--etcd-cacert/],
      ['https://10.0.0.5:2379,http://10.0.0.6:2379', { cacert: pem }, {}, /not a mix/],
      ['http://10.0.0.5:2379', { cacert: pem }, {}, /are for https:\/\/ endpoints/],
      ['https://10.0.0.5:2379', { cacert: pem, cert: pem }, {}, /--etcd-cert and --etcd-key go together/],
      ['http://10.0.0.5:2379', { user: 'ccm' }, {}, /--etcd-user ccm needs its password: set CCM_ETCD_PASSWORD/],
      ['http://10.0.0.5:2379', { passwordFile: pw }, {}, /give the user too/],
      ['http://10.0.0.5:2379', { user: 'ccm', passwordFile: pw }, { CCM_ETCD_PASSWORD: 'x' }, /given twice/],
      ['http://10.0.0.5:2379', { user: 'ccm', passwordFile: path.join(dir, 'none') }, {}, /--etcd-password-file .*no such file/],
      ['https://10.0.0.5:2379', { cacert: pw }, {}, /not a PEM file/],
      [undefined, { user: 'ccm' }, {}, /--etcd-user is for an existing etcd cluster: give --etcd-endpoints/],
    ];
    for (const [endpoints, flags, env, message] of refused) {
      expect(() => parse(endpoints, flags, env), JSON.stringify(flags)).to.throw(message);
    }
  });
});
