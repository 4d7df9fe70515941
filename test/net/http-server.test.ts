import http from 'node:http';
import net from 'node:net';
import { Type } from '@sinclair/typebox';
import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { HttpServer, parseTarget } from '../../src/net/http-server.js';
import { putKvBody } from '../../src/node/http/route-schemas.js';
import { compileSchema } from '../../src/schema/compiled-schema.js';

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

/** Writes raw bytes on a fresh connection and resolves with everything the server answers until it closes (or 2 s). */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 2000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough (a keep-alive connection would otherwise stay open).
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) setTimeout(done, 50);
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

describe('http server: the boundary', () => {
  const rejected: { reason: string; detail?: string }[] = [];
  const server = new HttpServer({ onReject: (reason, _source, detail) => rejected.push({ reason, detail }), limits: { maxBodyBytes: 1000, maxHeaderBytes: 2048 } });
  const echoBody = compileSchema(Type.Object({ n: Type.Integer({ minimum: 0, errorMessage: 'n must be a whole number' }) }));
  before(async () => {
    server.route('GET', '/v1/items/:id', (ctx) => ({ id: ctx.params.id, q: ctx.q }));
    server.route('POST', '/v1/echo', (ctx) => ({ n: ctx.body.n }), { body: echoBody });
    server.route('GET', '/v1/boom', () => {
      throw new TypeError('a bug, not the client');
    });
    await server.listen(0, '127.0.0.1');
  });
  after(() => server.close());
  beforeEach(() => (rejected.length = 0));

  const status = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

  it('request lines that a URL parser throws on (//:99999, //[) are answered, and the server lives on', async () => {
    for (const target of ['//:99999', '//[', '//', '/%zz/..', 'http://x/v1/items/1', '*', '/v1/items/%E0%A4%A']) {
      const answer = await raw(server.port!, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(status(answer), target).to.be.oneOf([400, 404]);
      expect(answer, target).to.include('"code"');
    }
    expect(rejected.map((r) => r.reason)).to.include.members(['bad_request_line', 'bad_path']);
    expect((await get(server.port!, '/v1/items/a%20b')).body).to.deep.include({ id: 'a b' });
  });

  it('a malformed request (bad method, broken header) is answered 400 by the parser hook and counted', async () => {
    const answer = await raw(server.port!, 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(status(answer)).to.equal(400);
    const broken = await raw(server.port!, 'GET / HTTP/1.1\r\nHost x\r\n\r\n');
    expect(status(broken)).to.equal(400);
    expect(rejected.filter((r) => r.reason === 'bad_request')).to.have.length(2);
  });

  it('headers over the limit: 431; a body over the limit: 400 without reading it, the connection closed', async () => {
    const big = await raw(server.port!, `GET /v1/items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    expect(status(big)).to.equal(431);
    const declared = await raw(server.port!, 'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{');
    expect(status(declared)).to.equal(400);
    expect(declared).to.match(/connection: close/i);
    const chunked = await raw(server.port!, `POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n${'x'.repeat(2000)}\r\n0\r\n\r\n`);
    expect(status(chunked)).to.equal(400);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['header_too_large', 'body_too_large', 'body_too_large']);
  });

  it('a body is checked against its route schema: bad JSON and misfits are 400 invalid_argument, with the schema\'s own message', async () => {
    const post = (body: string): Promise<string> =>
      raw(server.port!, `POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expect(await post('{"n": 3}')).to.include('{"n":3}');
    const notJson = await post('{"n": ');
    expect(status(notJson)).to.equal(400);
    const misfit = await post('{"n": -1}');
    expect(status(misfit)).to.equal(400);
    expect(misfit).to.include('n must be a whole number');
    const deep = await post('['.repeat(400) + ']'.repeat(400));
    expect(status(deep)).to.equal(400);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['bad_json', 'bad_body', 'bad_body']);
  });

  it('an unexpected error in a handler is a 500 that names no internals, counted as handler_error', async () => {
    const r = await get(server.port!, '/v1/boom');
    expect(r.status).to.equal(500);
    expect(r.body).to.have.nested.property('error.code', 'internal');
    expect(JSON.stringify(r.body)).to.not.include('a bug');
    expect(rejected.map((x) => x.reason)).to.deep.equal(['handler_error']);
  });

  it('the default body limit takes a 1 MiB value even when JSON spells every character as a 6-byte escape', async () => {
    const roomy = new HttpServer();
    roomy.route('PUT', '/v1/kv', (ctx) => ({ chars: ctx.body.value.length }), { body: putKvBody });
    await roomy.listen(0, '127.0.0.1');
    try {
      const body = JSON.stringify({ key: '/k', value: '\u0001'.repeat(1024 * 1024) });
      expect(Buffer.byteLength(body)).to.be.above(6 * 1024 * 1024);
      const answer = await raw(roomy.port!, Buffer.concat([Buffer.from(`PUT /v1/kv HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]));
      expect(status(answer), answer.slice(0, 200)).to.equal(200);
      expect(answer).to.include(`{"chars":${1024 * 1024}}`);
    } finally {
      await roomy.close();
    }
  });

  it('parseTarget splits without a URL parser and refuses what is not a path', () => {
    expect(parseTarget('/a/b?x=1&y=%zz', 100)).to.satisfy((t: { path: string; query: URLSearchParams }) => t.path === '/a/b' && t.query.get('y') === '%zz');
    expect(parseTarget('//:99999', 100)).to.deep.include({ path: '//:99999' });
    expect(parseTarget('http://h/a', 100)).to.be.a('string');
    expect(parseTarget('/' + 'a'.repeat(200), 100)).to.be.a('string');
  });
});
