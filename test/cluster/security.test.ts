import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import type { NodeStatus } from '../../src/api/api-types.js';
import { requestJson } from '../../src/client/http-json.js';
import { generateKey } from '../../src/net/keyring.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request exactly as given: no token, no Content-Type unless the test says so. */
function raw(port: number, req: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method: req.method ?? 'GET', path: req.path, headers: req.headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // text (metrics)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

/** A length-prefixed plaintext frame, as a process without the key would write it. */
function frame(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

const PLAINTEXT_MARKERS = ['"kind"', '"raft"', '"swim"', 'hello', '"from"', '"body"'];
const hasPlaintext = (bytes: Buffer): string | undefined => PLAINTEXT_MARKERS.find((m) => bytes.includes(Buffer.from(m)));

/** Issue 16: only the cluster's own nodes are peers; only holders of the token are clients. */
describe('security (real processes): sealed peers, API tokens, browser-borne requests, keyring rotation', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '3', '--no-heal');
  });
  after(async () => expectNoProcessLeft(fx));

  const node = (id: string) => fx.clusterFile().nodes.find((n: { id: string }) => n.id === id);
  const status = (id: string) => requestJson<NodeStatus>({ host: '127.0.0.1', port: node(id).ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: 3000 });
  const secret = (file: string) => fs.readFileSync(path.join(fx.home, fx.name, 'secrets', file), 'utf8').trim();
  const nodeLog = (id: string) => fs.readFileSync(path.join(fx.home, fx.name, 'nodes', id, 'node.log'), 'utf8');

  it('secrets are created by ccm up, readable by the owner only', () => {
    const dir = path.join(fx.home, fx.name, 'secrets');
    expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(path.join(fx.home, fx.name)).mode & 0o777, 'the cluster dir: its data is the owner\'s too').to.equal(0o700);
    for (const f of ['keyring.json', 'client.token', 'admin.token']) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).to.equal(0o600);
    expect(Buffer.from(JSON.parse(fs.readFileSync(path.join(dir, 'keyring.json'), 'utf8')).primary, 'base64')).to.have.length(32);
  });

  it('HTTP: no token or a wrong one is 401; the client token is not enough for /admin (403); /metrics is open; no CORS', async () => {
    const port = node('n1').ports.http as number;
    const none = await raw(port, { path: '/v1/kv?key=/x' });
    expect(none.status).to.equal(401);
    expect(none.body.error.code).to.equal('unauthenticated');
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    expect((await raw(port, { path: '/v1/status', headers: { authorization: 'Bearer not-the-token' } })).status).to.equal(401);
    const client = secret('client.token');
    expect((await raw(port, { path: '/v1/status', headers: { authorization: `Bearer ${client}` } })).status).to.equal(200);
    expect((await raw(port, { path: '/v1/status', headers: { 'x-ccm-token': client } })).status).to.equal(200);
    const admin = await raw(port, { method: 'PUT', path: '/admin/link-filter', headers: { authorization: `Bearer ${client}`, 'content-type': 'application/json' }, body: '{"peers":{}}' });
    expect(admin.status).to.equal(403);
    expect(admin.body.error.message).to.match(/admin token/);
    const remove = await raw(port, { method: 'POST', path: '/v1/core/members', headers: { authorization: `Bearer ${client}`, 'content-type': 'application/json' }, body: '{"action":"remove","node":"n2"}' });
    expect(remove.status, 'removing a voter is an admin act').to.equal(403);
    const metrics = await raw(port, { path: '/metrics' });
    expect(metrics.status).to.equal(200);
    expect(String(metrics.body)).to.match(/ccm_peer_auth_failures_total/);
    const preflight = await raw(port, { method: 'OPTIONS', path: '/v1/kv', headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' } });
    expect(preflight.status).to.be.within(400, 499);
    for (const a of [none, metrics, preflight]) expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control'))).to.deep.equal([]);

    // The CLI: a wrong --token fails clearly; without one it reads the cluster dir.
    const wrong = await fx.ccm('kv', 'get', '/x', '--token', 'nope');
    expect(wrong.exitCode).to.equal(1);
    expect(wrong.stderr).to.match(/token is not this cluster's/);
    const env = await fx.json<{ CCM_TOKEN: string; CCM_ENDPOINTS: string }>('env');
    expect(env.CCM_TOKEN).to.equal(client);
    expect(env.CCM_ENDPOINTS.split(',')).to.have.length(3);
    expect((await fx.ccm('env')).stdout).to.match(/^export CCM_TOKEN=/m);
  });

  it('HTTP: browser-borne writes are refused and change nothing (text/plain, a foreign Host, a foreign Origin)', async () => {
    const port = node('n1').ports.http as number;
    const auth = { authorization: `Bearer ${secret('client.token')}` };
    const put = (headers: Record<string, string>) => raw(port, { method: 'PUT', path: '/v1/kv', headers: { ...auth, ...headers }, body: JSON.stringify({ key: '/csrf', value: 'x' }) });
    const plain = await put({ 'content-type': 'text/plain' });
    expect(plain.status).to.equal(415);
    expect(plain.body.error.message).to.match(/application\/json/);
    expect((await put({})).status, 'no Content-Type').to.equal(415);
    const rebinding = await put({ 'content-type': 'application/json', host: `evil.example:${port}` });
    expect(rebinding.status).to.equal(403);
    expect(rebinding.body.error.message).to.match(/DNS-rebinding/);
    expect((await put({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).to.equal(403);
    const get = await raw(port, { path: '/v1/kv?key=/csrf', headers: auth });
    expect(get.status, 'nothing was written').to.equal(404);
    expect((await put({ 'content-type': 'application/json; charset=utf-8', host: `localhost:${port}` })).status).to.equal(200);
  });

  it('command health checks are refused unless the cluster allows them, and nothing runs', async () => {
    const marker = path.join(fx.home, 'pwned');
    await fx.expectFailure(['health', 'check', 'add', 'n1', 'pwn', '--command', `touch ${marker}`], /--allow-command-checks/);
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.existsSync(marker)).to.equal(false);
    expect(JSON.stringify(await fx.json('health'))).to.not.include('pwn');
  });

  it('a process without the key cannot get a Raft or RPC message in: frames are dropped and counted, nothing changes', async () => {
    const before = await status('n1');
    const term = before.raft!.term;
    const peerPort = node('n1').ports.peer as number;
    await new Promise<void>((resolve) => {
      const s = net.connect(peerPort, '127.0.0.1', () => {
        s.write(frame({ kind: 'hello', from: 'n2', to: 'n1', body: null }));
        s.write(frame({ kind: 'raft', from: 'n2', to: 'n1', body: { type: 'app', term: 999_999, from: 'n2', to: 'n1', index: 0, logTerm: 0, entries: [], commit: 0 } }));
        s.write(frame({ kind: 'rpc-req', from: 'n2', to: 'n1', body: { id: 1, method: 'core.write', params: { command: { op: 'put', key: '/pwned', value: 'x' }, deadline: Date.now() + 5000, hops: 0 } } }));
        setTimeout(() => s.destroy(), 300);
      });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.on('close', () => resolve());
    });
    // A record that looks sealed but under a key of its own.
    await new Promise<void>((resolve) => {
      const s = net.connect(peerPort, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from([0, 0, 0, 60]), Buffer.alloc(60, 7)])));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      setTimeout(() => s.destroy(), 500);
    });
    const after = await waitFor('the attempts counted', async () => {
      const s = await status('n1');
      return s.peerAuth!.rejected.unattributed >= before.peerAuth!.rejected.unattributed + 2 ? s : null;
    }) as NodeStatus;
    expect(after.raft!.term, 'the forged term was never seen').to.be.below(term + 5);
    expect(after.peerAuth!.problem).to.equal(null);
    expect(await fx.ccm('kv', 'get', '/pwned').then((r) => r.exitCode)).to.equal(1);
    expect(nodeLog('n1')).to.match(/peer-auth-failed.*hello failed authentication/);
  });

  it('sniffed peer traffic is ciphertext: what the others send to a dead node\'s ports (Raft over TCP, gossip over UDP)', async () => {
    const n3 = node('n3');
    await fx.json('node', 'kill', 'n3');
    const datagrams: Buffer[] = [];
    const streams: Buffer[] = [];
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m) => datagrams.push(m));
    await new Promise<void>((r) => udp.bind(n3.ports.gossip, '127.0.0.1', () => r()));
    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      // Play the acceptor's part far enough to be sent what a peer would get: a challenge, then records.
      socket.write(Buffer.concat([Buffer.from([0, 0, 0, 17, 1]), Buffer.alloc(16, 9)]));
      socket.on('data', (c) => streams.push(c));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => tcp.listen(n3.ports.peer, '127.0.0.1', () => r()));
    try {
      await waitFor('Raft and gossip traffic for n3 captured', () => datagrams.length >= 3 && Buffer.concat(streams).length > 200, 20_000);
    } finally {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    }
    for (const d of datagrams) {
      expect(d[0], 'a sealed datagram').to.equal(1);
      expect(hasPlaintext(d), `datagram ${d.toString('utf8', 0, 60)}`).to.equal(undefined);
    }
    const bytes = Buffer.concat(streams);
    expect(hasPlaintext(bytes), 'TCP stream').to.equal(undefined);
    await fx.json('node', 'start', 'n3');
    await waitFor('n3 back in the core', async () => (await status('n3')).raft?.leaderId != null, 20_000);
  });

  it('keyring rotation keeps the cluster up: install, use, remove, with writes between and a node restarted after', async () => {
    const k2 = generateKey();
    const k1 = JSON.parse(fs.readFileSync(path.join(fx.home, fx.name, 'secrets', 'keyring.json'), 'utf8')).primary as string;
    let i = 0;
    const write = async () => expect((await fx.ccm('kv', 'put', '/rotation', String(++i))).exitCode, `write ${i}`).to.equal(0);
    await fx.expectFailure(['keyring', 'install', 'not-a-key'], /not base64|32 bytes/);
    await fx.expectFailure(['keyring', 'use', k2], /not installed/);
    const installed = await fx.json('keyring', 'install', k2);
    expect(installed.applied).to.deep.equal(['n1', 'n2', 'n3']);
    await write();
    await fx.json('keyring', 'use', k2);
    await write();
    await fx.expectFailure(['keyring', 'remove', k2], /primary key/);
    await fx.json('keyring', 'remove', k1);
    await write();
    const list = await fx.json<{ keys: { nodes: string[]; primaryOn: string[]; isClusterPrimary: boolean }[] }>('keyring', 'list');
    expect(list.keys).to.have.length(1);
    expect(list.keys[0]).to.deep.include({ nodes: ['n1', 'n2', 'n3'], primaryOn: ['n1', 'n2', 'n3'], isClusterPrimary: true });
    expect(JSON.stringify(list)).to.not.include(k2);
    // A restarted node keeps the rotated ring and is a peer again.
    await fx.json('node', 'restart', 'n2');
    await waitFor('n2 reaches everyone again', async () => {
      const s = await fx.json<{ nodes: { id: string; cannotReach: string[] }[] }>('status');
      return s.nodes.every((n) => n.cannotReach.length === 0);
    }, 30_000);
    await write();
  });

  it('a node started with a key that is not the cluster\'s is refused by the others and says why', async () => {
    await fx.json('node', 'stop', 'n3');
    const key = generateKey();
    fs.writeFileSync(path.join(fx.home, fx.name, 'nodes', 'n3', 'keyring.json'), JSON.stringify({ version: 999, primary: key, keys: [key] }));
    await fx.json('node', 'start', 'n3');
    const n3 = await waitFor('n3 says its key is wrong', async () => {
      const s = await status('n3');
      return s.peerAuth?.problem ? s : null;
    }, 60_000) as NodeStatus;
    expect(n3.peerAuth!.problem).to.match(/this node's cluster key is not the cluster's/);
    expect(n3.peerAuth!.refusedBy).to.include('n1');
    expect(nodeLog('n3')).to.match(/n1 refused our hello/);
    const human = await fx.ccm('status');
    expect(human.stdout).to.match(/peer authentication:[\s\S]*n3: this node's cluster key is not the cluster's/);
    // It never gets in: the core goes on without it.
    expect((await fx.ccm('kv', 'put', '/without-n3', 'ok')).exitCode).to.equal(0);
    expect((await status('n1')).raft!.progress?.n3?.match ?? 0).to.be.below((await status('n1')).raft!.commit);
  });

  it('ccm up --allow-command-checks lets command checks run (the cluster restarted with it)', async () => {
    await fx.json('down');
    await fx.json('up', '--allow-command-checks');
    const marker = path.join(fx.home, 'allowed');
    await fx.json('health', 'check', 'add', 'n1', 'touch', '--command', `touch ${marker}`);
    await waitFor('the command ran', () => fs.existsSync(marker), 10_000);
  });
});
