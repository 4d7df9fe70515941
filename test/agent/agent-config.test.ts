import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { agentPeerAddress, checkAgentSpec, readAgentSecrets, type AgentSpec } from '../../src/cluster/agent-config.js';
import { CcmError } from '../../src/errors/ccm-error.js';

const spec = (over: Partial<AgentSpec> = {}): AgentSpec => ({
  id: 'a1',
  cluster: 'default',
  bind: '127.0.0.1',
  basePort: 7000,
  join: [],
  isCore: true,
  bootstrapExpect: 3,
  joinTimeoutMs: 15_000,
  gossipProbeIntervalMs: 200,
  tls: false,
  ...over,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CcmError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('agent settings and the addresses agents learn from gossip', () => {
  it('a peer address comes from the gossip address and a well-formed agent meta only (meta is remote input)', () => {
    const meta = { joinedAtMs: 1, tags: {}, agent: { ports: { http: 7000, peer: 7001, etcd: 7003 }, core: true } };
    expect(agentPeerAddress('a2', '10.0.0.2:7002', meta)).to.deep.equal({ id: 'a2', host: '10.0.0.2', peerPort: 7001, gossipPort: 7002 });
    expect(agentPeerAddress('a2', '10.0.0.2:7002', { joinedAtMs: 1, tags: {} }), 'not an agent').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2:7002', { agent: { ports: { http: 7000, peer: '7001' }, core: true } }), 'port as text').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2:7002', { agent: { ports: { http: 7000, peer: 70001 }, core: true } }), 'port out of range').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2:7002', { agent: { ports: { http: 7000, peer: 7001 } } }), 'no core flag').to.equal(null);
    expect(agentPeerAddress('a2', 'host.example:7002', meta), 'not an IPv4 address').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2:99999', meta), 'gossip port out of range').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2', meta), 'no port').to.equal(null);
    expect(agentPeerAddress('a2', '10.0.0.2:7002', null)).to.equal(null);
  });

  it('refuses settings that cannot work, naming the flag', () => {
    expect(() => checkAgentSpec(spec())).not.to.throw();
    expect(refusal(() => checkAgentSpec(spec({ isCore: false })))).to.match(/--bootstrap-expect is for core agents: add --core/);
    expect(refusal(() => checkAgentSpec(spec({ bootstrapExpect: 0 })))).to.match(/--core needs --bootstrap-expect/);
    expect(refusal(() => checkAgentSpec(spec({ bind: '10.254.254.254' })))).to.match(/is not an address of this host/);
    expect(refusal(() => checkAgentSpec(spec({ bind: '300.1.1.1' })))).to.match(/not an IPv4 address/);
    expect(refusal(() => checkAgentSpec(spec({ join: ['10.0.0.1'] })))).to.match(/bad agent settings/);
    expect(refusal(() => checkAgentSpec(spec({ id: 'a b' })))).to.match(/bad agent settings/);
    expect(refusal(() => checkAgentSpec(spec({ basePort: 80 })))).to.match(/bad agent settings/);
  });

  it('reads the key and tokens from files or the environment, and refuses what is not one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-agent-secrets-'));
    try {
      const key = crypto.randomBytes(32).toString('base64');
      const token = crypto.randomBytes(24).toString('base64url');
      const fromEnv = await readAgentSecrets({ env: { CCM_CLUSTER_KEY: key, CCM_TOKEN: token } });
      expect(fromEnv.keyring.primary).to.equal(key);
      expect(fromEnv.token).to.equal(token);
      expect(fromEnv.adminToken, 'admin defaults to the client token').to.equal(token);
      fs.writeFileSync(path.join(dir, 'ring.json'), JSON.stringify({ version: 3, primary: key, keys: [key] }));
      fs.writeFileSync(path.join(dir, 'token'), `${token}\n`);
      const fromFiles = await readAgentSecrets({ keyringFile: path.join(dir, 'ring.json'), tokenFile: path.join(dir, 'token'), env: {} });
      expect(fromFiles.keyring.version).to.equal(3);
      expect(fromFiles.token).to.equal(token);
      const refused = async (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (err: Error) => err.message);
      expect(await refused(readAgentSecrets({ env: { CCM_TOKEN: token } }))).to.match(/needs the cluster key/);
      expect(await refused(readAgentSecrets({ env: { CCM_CLUSTER_KEY: 'c2hvcnQ=', CCM_TOKEN: token } }))).to.match(/CCM_CLUSTER_KEY/);
      expect(await refused(readAgentSecrets({ env: { CCM_CLUSTER_KEY: key } }))).to.match(/needs the API token/);
      expect(await refused(readAgentSecrets({ env: { CCM_CLUSTER_KEY: key, CCM_TOKEN: 'short' } }))).to.match(/the token must be 16-512/);
      fs.writeFileSync(path.join(dir, 'bad.json'), '{"version":1}');
      expect(await refused(readAgentSecrets({ keyringFile: path.join(dir, 'bad.json'), env: { CCM_TOKEN: token } }))).to.match(/is not a keyring/);
      expect(await refused(readAgentSecrets({ keyringFile: path.join(dir, 'none.json'), env: { CCM_TOKEN: token } }))).to.match(/no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
