import http from 'node:http';
import { expect } from 'chai';
import { CcmError } from '../../src/client/api-errors.js';
import { HttpServer } from '../../src/net/http-server.js';

/** One request on a fresh connection; resolves with the status, headers and parsed body. */
function get(port: number, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      })
      .on('error', reject);
  });
}

describe('http server', () => {
  const server = new HttpServer();
  let leader = 'n1';
  before(async () => {
    server.defaultHeaders = () => ({ 'x-ccm-leader': leader });
    // A handler that waits, during which the leader changes (as a put that waits for an election, or is forwarded).
    server.route('GET', '/slow', async () => {
      leader = 'n2';
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true };
    });
    server.route('GET', '/slow-fail', async () => {
      leader = 'n3';
      throw new CcmError('no_leader', 'no leader');
    });
    server.route('GET', '/items/:id', (ctx) => ({ id: ctx.params.id }));
    await server.listen(0, '127.0.0.1');
  });
  after(() => server.close());

  it('names the leader as it is when the answer goes out, not as it was when the request came in', async () => {
    leader = 'n1';
    const ok = await get(server.port!, '/slow');
    expect(ok.headers['x-ccm-leader']).to.equal('n2');
    const failed = await get(server.port!, '/slow-fail');
    expect(failed.status).to.not.equal(200);
    expect(failed.headers['x-ccm-leader']).to.equal('n3');
  });

  it('routes by path parameters, and answers an unknown path or method with a clear error and the default headers', async () => {
    leader = 'n1';
    expect((await get(server.port!, '/items/a%20b')).body).to.deep.equal({ id: 'a b' });
    const missing = await get(server.port!, '/nope');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.have.nested.property('error.code', 'not_found');
    expect(missing.headers['x-ccm-leader']).to.equal('n1');
  });
});
