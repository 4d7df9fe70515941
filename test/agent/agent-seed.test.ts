import http from 'node:http';
import { expect } from 'chai';
import { askSeed } from '../../src/cluster/agent-config.js';
import { CcmError } from '../../src/errors/ccm-error.js';

/** What an agent does with a seed's answer (a real HTTP server on loopback stands in for the seed). */
describe('an agent asking a seed (real HTTP on loopback)', () => {
  it('a seed\'s member list is another process\'s answer: checked by schema before any of it is used', async () => {
    let body = '';
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const seed = `127.0.0.1:${(server.address() as { port: number }).port + 2}`;
    try {
      body = JSON.stringify({ node: 'n1', members: [{ id: 'n2', address: '10.0.0.2:7002', state: 'alive', meta: { agent: { ports: { http: 7000, peer: 7001 }, core: true } } }] });
      const view = await askSeed(seed, 'token', 2000);
      expect(view.members[0].peer).to.deep.equal({ id: 'n2', host: '10.0.0.2', peerPort: 7001, gossipPort: 7002 });
      for (const bad of [{ node: 'n1' }, { node: 'n1', members: [{ id: 5, address: 'x', state: 'alive' }] }, { node: 'n1', members: [null] }, [], 'members']) {
        body = JSON.stringify(bad);
        const err = await askSeed(seed, 'token', 2000).catch((e: unknown) => e);
        expect(err, JSON.stringify(bad)).to.be.instanceOf(CcmError);
        expect((err as CcmError).message).to.match(/not a member list/);
      }
    } finally {
      server.close();
    }
  });
});
