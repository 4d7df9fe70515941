import { expect } from 'chai';
import fc from 'fast-check';
import { credentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { compareKeys } from '../../src/core/key-span.js';
import { etcdServices, type EtcdServiceName } from '../../src/etcd/etcd-proto.js';
import { EtcdServer } from '../../src/etcd/etcd-server.js';
import { spanOfBytes, utf8Ceiling } from '../../src/etcd/key-bytes.js';
import { openDatabase } from '../../src/storage/database.js';
import { storeBackend } from './store-backend.js';

type Answer = { err: ServiceError | null; res: any };

/**
 * The etcd layer on its own (a real gRPC server and client in this process, over the real state machine without
 * Raft): its boundary (auth, malformed and hostile requests, limits) and its mapping of etcd's rules.
 */
describe('etcd API: boundary and mapping (in process)', function () {
  this.timeout(30_000);
  let server: EtcdServer;
  let backend: ReturnType<typeof storeBackend>;
  const clients = new Map<EtcdServiceName, Client>();
  const TOKEN = 'the-client-token';
  const ADMIN_TOKEN = 'the-admin-token';

  before(async () => {
    backend = storeBackend();
    server = new EtcdServer({ backend, host: '127.0.0.1', port: 0, auth: { check: (t) => t === TOKEN || t === ADMIN_TOKEN, isAdmin: (t) => t === ADMIN_TOKEN }, watch: { progressMs: 200 } });
    await server.start();
    const services = etcdServices();
    for (const name of ['KV', 'Lease', 'Auth', 'Watch', 'Maintenance'] as const) clients.set(name, new services[name](`127.0.0.1:${server.port()}`, credentials.createInsecure()));
  });
  after(async () => {
    for (const c of clients.values()) c.close();
    await server.stop();
  });

  const withToken = (token = TOKEN): Metadata => {
    const m = new Metadata();
    m.set('token', token);
    return m;
  };
  const call = (service: EtcdServiceName, method: string, req: unknown, metadata = withToken()): Promise<Answer> =>
    new Promise((resolve) => (clients.get(service) as any)[method](req, metadata, (err: ServiceError | null, res: unknown) => resolve({ err, res })));
  const raw = (path: string, bytes: Buffer): Promise<Answer> =>
    new Promise((resolve) =>
      clients.get('KV')!.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, withToken(), (err, res) => resolve({ err: err as ServiceError | null, res })),
    );
  const b = (s: string): Buffer => Buffer.from(s);
  const put = (key: string | Buffer, value = 'v'): Promise<Answer> => call('KV', 'Put', { key: typeof key === 'string' ? b(key) : key, value: b(value) });

  it('auth: no token, a wrong token and a wrong password are refused with etcd\'s errors; the client token works, as etcd token or Bearer', async () => {
    const none = await call('KV', 'Range', { key: b('k') }, new Metadata());
    expect(none.err?.details).to.equal('etcdserver: user name is empty');
    const wrong = await call('KV', 'Range', { key: b('k') }, withToken('nope'));
    expect(wrong.err?.code).to.equal(status.UNAUTHENTICATED);
    expect(wrong.err?.details).to.equal('etcdserver: invalid auth token');
    const badLogin = await call('Auth', 'Authenticate', { name: 'ccm', password: 'nope' }, new Metadata());
    expect(badLogin.err?.details).to.equal('etcdserver: authentication failed, invalid user ID or password');
    const login = await call('Auth', 'Authenticate', { name: 'ccm', password: TOKEN }, new Metadata());
    expect(login.err).to.equal(null);
    expect((await call('KV', 'Put', { key: b('k'), value: b('v') }, withToken(login.res.token))).err).to.equal(null);
    const bearer = new Metadata();
    bearer.set('authorization', `Bearer ${TOKEN}`);
    expect((await call('KV', 'Range', { key: b('k') }, bearer)).res.kvs[0].value.toString()).to.equal('v');
    expect((await call('Auth', 'AuthStatus', {}, new Metadata())).res.enabled).to.equal(true);
    expect(server.counters.refused).to.include.keys('no token', 'invalid token', 'authentication failed');
  });

  it("auth: MoveLeader, which etcd keeps for root, needs the admin token; the client token gets etcd's permission denied", async () => {
    const asClient = await call('Maintenance', 'MoveLeader', { targetID: '1' });
    expect(asClient.err?.code).to.equal(status.PERMISSION_DENIED);
    expect(asClient.err?.details).to.equal('etcdserver: permission denied');
    expect(server.counters.refused).to.include.keys('not admin');
    // The admin token gets past the door: the request itself is then judged (no member has that id).
    const asAdmin = await call('Maintenance', 'MoveLeader', { targetID: '1' }, withToken(ADMIN_TOKEN));
    expect(asAdmin.err?.details).to.equal('etcdserver: bad leader transferee');
  });

  it('garbage and hostile encodings get an error status, and the server goes on answering', async () => {
    const garbage = await raw('/etcdserverpb.KV/Put', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(garbage.err).to.not.equal(null);
    // A txn nested 40 deep: refused before anything walks it. 2,000 deep: the decoder gives up; nothing crashes.
    const nested = (depth: number): Buffer => {
      let txn = Buffer.alloc(0);
      for (let i = 0; i < depth; i++) {
        const op = Buffer.concat([Buffer.from([0x22]), varint(txn.length), txn]);
        txn = Buffer.concat([Buffer.from([0x12]), varint(op.length), op]);
      }
      return txn;
    };
    const deep = await raw('/etcdserverpb.KV/Txn', nested(40));
    expect(deep.err?.details).to.equal('etcdserver: too many operations in txn request');
    const deeper = await raw('/etcdserverpb.KV/Txn', nested(2_000));
    expect(deeper.err).to.not.equal(null);
    expect((await put('/after', 'x')).err).to.equal(null);
    expect(server.counters.refused['txn too deep']).to.be.at.least(1);
  });

  it('what ccm cannot store is refused clearly; a span whose end is not UTF-8 still selects the right keys', async () => {
    const binary = await put(Buffer.from([0x2f, 0xff]));
    expect(binary.err?.code).to.equal(status.INVALID_ARGUMENT);
    expect(binary.err?.details).to.equal('ccm: keys are stored as UTF-8 text without NUL characters');
    const value = await call('KV', 'Put', { key: b('/v'), value: Buffer.from([0xc3, 0x28]) });
    expect(value.err?.details).to.equal('ccm: values are stored as UTF-8 text');
    expect((await call('KV', 'Range', { key: Buffer.from([0xff]) })).res.kvs).to.deep.equal([]);
    for (const k of ['¿a', '¿', 'À', '¾']) expect((await put(k)).err).to.equal(null);
    // etcd's prefix end of "¿" (C2 BF) is C2 C0: not UTF-8, and it must stop before "À" (C3 80)
    const prefix = await call('KV', 'Range', { key: b('¿'), range_end: Buffer.from([0xc2, 0xc0]) });
    expect(prefix.res.kvs.map((kv: { key: Buffer }) => kv.key.toString())).to.deep.equal(['¿', '¿a']);
    expect(server.counters.refused).to.not.have.key('malformed PutRequest');
  });

  it('txn: etcd\'s checks (too many ops, a key put twice or inside a delete, an empty op, an empty key)', async () => {
    const putOp = (key: string) => ({ request_put: { key: b(key), value: b('v') } });
    const txn = (success: unknown[], compare: unknown[] = []) => call('KV', 'Txn', { compare, success, failure: [] });
    expect((await txn(Array.from({ length: 129 }, (_, i) => putOp(`/t${i}`)))).err?.details).to.equal('etcdserver: too many operations in txn request');
    expect((await txn([putOp('/a'), putOp('/a')])).err?.details).to.equal('etcdserver: duplicate key given in txn request');
    expect((await txn([{ request_delete_range: { key: b('/a'), range_end: b('/b') } }, putOp('/a1')])).err?.details).to.equal('etcdserver: duplicate key given in txn request');
    // a nested txn's two branches may put the same key: only one runs
    const nested = { request_txn: { compare: [], success: [putOp('/n')], failure: [putOp('/n')] } };
    expect((await txn([nested])).err).to.equal(null);
    expect((await txn([{}])).err?.details).to.equal('etcdserver: key not found');
    expect((await txn([putOp('')])).err?.details).to.equal('etcdserver: key is not provided');
    expect((await txn([], [{ key: b(''), target: 0, result: 0, version: 0 }])).err?.details).to.equal('etcdserver: key is not provided');
  });

  // Enums as numbers (the vendored proto names them Version/Create/Mod/Value/Lease and Equal/Greater/Less/NotEqual).
  const [VERSION, CREATE, VALUE] = [0, 1, 3];
  const [EQUAL, GREATER, LESS, NOT_EQUAL] = [0, 1, 2, 3];

  it('txn compares: a value compare on a missing key fails either way (etcd\'s rule); revisions and versions compare as numbers', async () => {
    const compare = (c: Record<string, unknown>) => call('KV', 'Txn', { compare: [c], success: [], failure: [] }).then((a) => a.res.succeeded as boolean);
    expect(await compare({ key: b('/missing'), target: VALUE, result: NOT_EQUAL, value: b('x') })).to.equal(false);
    expect(await compare({ key: b('/missing'), target: VALUE, result: EQUAL, value: b('') })).to.equal(false);
    expect(await compare({ key: b('/missing'), target: CREATE, result: EQUAL, create_revision: 0 })).to.equal(true);
    await put('/cmp', 'b');
    expect(await compare({ key: b('/cmp'), target: VALUE, result: GREATER, value: b('a') })).to.equal(true);
    expect(await compare({ key: b('/cmp'), target: VERSION, result: LESS, version: 2 })).to.equal(true);
  });

  it("range at a revision: a key whose state then is older than the kept history is etcd's ErrCompacted, never absent", async () => {
    const db = openDatabase(':memory:');
    const own = storeBackend(db);
    const alone = new EtcdServer({ backend: own, host: '127.0.0.1', port: 0, auth: { check: (t) => t === TOKEN, isAdmin: () => false } });
    await alone.start();
    const kv = new (etcdServices().KV)(`127.0.0.1:${alone.port()}`, credentials.createInsecure());
    const range = (req: unknown): Promise<Answer> => new Promise((resolve) => (kv as any).Range(req, withToken(), (err: ServiceError | null, res: unknown) => resolve({ err, res })));
    try {
      await own.write({ op: 'put', key: '/old', value: 'then' }, 0); // rev 1
      await own.write({ op: 'put', key: '/other', value: 'x' }, 0); // rev 2
      // compacted at 2 as ccm did before migration 5: /old's put (its state at 2) dropped with the rest
      await own.write({ op: 'compact', revision: 2 }, 0);
      db.prepare('DELETE FROM kv_events WHERE revision < 2').run();
      await own.write({ op: 'put', key: '/old', value: 'now' }, 0); // rev 3
      const lost = await range({ key: b('/old'), revision: 2 });
      expect(lost.err?.code).to.equal(status.OUT_OF_RANGE);
      expect(lost.err?.details).to.equal('etcdserver: mvcc: required revision has been compacted');
      const kept = await range({ key: b('/other'), revision: 2 });
      expect(kept.res.kvs.map((x: { value: Buffer }) => x.value.toString())).to.deep.equal(['x']);
    } finally {
      kv.close();
      await alone.stop();
    }
  });

  it('range: sort by version descending with a limit, the count of all, filters on revisions, keys only', async () => {
    await put('/r/a');
    await put('/r/b');
    await put('/r/b');
    await put('/r/c');
    const sorted = await call('KV', 'Range', { key: b('/r/'), range_end: b('/r0'), limit: 1, sort_order: 2, sort_target: 1, keys_only: true });
    expect(sorted.res).to.deep.include({ more: true, count: '3' });
    expect(sorted.res.kvs.map((kv: { key: Buffer; value: Buffer }) => [kv.key.toString(), kv.value.length])).to.deep.equal([['/r/b', 0]]);
    const c = (await call('KV', 'Range', { key: b('/r/c') })).res.kvs[0];
    const recent = await call('KV', 'Range', { key: b('/r/'), range_end: b('/r0'), min_mod_revision: c.mod_revision });
    expect(recent.res.kvs.map((kv: { key: Buffer }) => kv.key.toString())).to.deep.equal(['/r/c']);
    expect((await call('KV', 'Range', { key: b('/r/'), sort_order: 7 })).err?.details).to.equal('etcdserver: invalid sort option');
  });

  it('leases: a chosen id beyond 2^53 is refused, a missing lease is etcd\'s not-found, its time-to-live is -1', async () => {
    const big = await call('Lease', 'LeaseGrant', { TTL: 10, ID: '9007199254740993' });
    expect(big.err?.code).to.equal(status.INVALID_ARGUMENT);
    const grant = await call('Lease', 'LeaseGrant', { TTL: 0, ID: 0 });
    expect(Number(grant.res.TTL)).to.equal(1);
    expect(BigInt(grant.res.ID) >= 2n ** 32n).to.equal(true);
    expect((await call('Lease', 'LeaseGrant', { TTL: 10, ID: grant.res.ID })).err?.details).to.equal('etcdserver: lease already exists');
    expect((await call('Lease', 'LeaseRevoke', { ID: '12345' })).err?.details).to.equal('etcdserver: requested lease not found');
    expect((await call('Lease', 'LeaseTimeToLive', { ID: '12345' })).res.TTL).to.equal('-1');
    expect((await call('Lease', 'LeaseGrant', { TTL: '9000000000', ID: 0 })).err?.details).to.equal('etcdserver: too large lease TTL');
  });

  it('watch: created before its events, prev_kv, filters, progress on an idle watch, cancel, a duplicate id, a compacted start', async () => {
    const [PUT, DELETE] = [0, 1];
    const stream = (clients.get('Watch') as any).Watch(withToken());
    stream.on('error', () => undefined); // the stream ends cancelled when the test ends it
    const responses: any[] = [];
    stream.on('data', (r: unknown) => responses.push(r));
    const waitFor = async (what: string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`no ${what}: ${JSON.stringify(responses)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const first = (await put('/wa/k', 'one')).res.header.revision;
    stream.write({ create_request: { key: b('/wa/'), range_end: b('/wa0'), start_revision: first, prev_kv: true, watch_id: 7 } });
    stream.write({ create_request: { key: b('/wa/'), range_end: b('/wa0'), filters: [0], progress_notify: true } }); // NOPUT
    await put('/wa/k', 'two');
    await call('KV', 'DeleteRange', { key: b('/wa/k') });
    await waitFor('events', () => responses.filter((r) => r.events.length > 0).length >= 3);
    const of = (id: string) => responses.filter((r) => r.watch_id === id);
    expect(of('7')[0]).to.include({ created: true });
    const events7 = of('7').flatMap((r) => r.events);
    expect(events7.map((e: any) => [e.type, e.kv.value.toString(), e.prev_kv?.value.toString() ?? null])).to.deep.equal([
      [PUT, 'one', null],
      [PUT, 'two', 'one'],
      [DELETE, '', 'two'],
    ]);
    // the auto id is 0 (etcd numbers from 0); NOPUT left it only the delete
    expect(of('0').flatMap((r) => r.events).map((e: any) => e.type)).to.deep.equal([DELETE]);
    await waitFor('a progress notification', () => of('0').some((r) => !r.created && r.events.length === 0 && Number(r.header.revision) > 0));
    stream.write({ create_request: { key: b('/x'), watch_id: 7 } });
    await waitFor('the duplicate refused', () => responses.some((r) => r.watch_id === '-1' && r.cancel_reason.includes('duplicate watch ID')));
    stream.write({ cancel_request: { watch_id: 7 } });
    await waitFor('the cancel', () => of('7').some((r) => r.canceled));
    const kv = backend;
    await put('/wa/c', '1');
    await put('/wa/c', '2');
    kv.store.compact(kv.store.revision());
    stream.write({ create_request: { key: b('/wa/c'), start_revision: 1, watch_id: 9 } });
    await waitFor('the compacted watch', () => of('9').some((r) => r.canceled));
    expect(of('9').map((r) => [r.created, r.canceled, Number(r.compact_revision)])).to.deep.equal([
      [true, false, 0],
      [false, true, kv.store.revision()],
    ]);
    stream.end();
  });
});


function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

describe('etcd key bytes as ccm text', () => {
  it('utf8Ceiling: a text key is at or above any bytes exactly when it is at or above their ceiling', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }), (bytes, key) => {
        const ceiling = utf8Ceiling(bytes);
        const atOrAbove = Buffer.compare(Buffer.from(key), Buffer.from(bytes)) >= 0;
        expect(atOrAbove, `${JSON.stringify(key)} vs ${Buffer.from(bytes).toString('hex')} (ceiling ${JSON.stringify(ceiling)})`).to.equal(ceiling !== null && compareKeys(key, ceiling) >= 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('spans: the key alone, from a key on ("\\0"), every key ("\\0", "\\0"), an empty range', () => {
    expect(spanOfBytes(Buffer.from('a'), Buffer.alloc(0))).to.deep.equal({ span: { key: 'a' } });
    expect(spanOfBytes(Buffer.from('a'), Buffer.from([0]))).to.deep.equal({ span: { key: 'a', end: null } });
    expect(spanOfBytes(Buffer.from([0]), Buffer.from([0]))).to.deep.equal({ span: { key: '', end: null } });
    expect(spanOfBytes(Buffer.from('b'), Buffer.from('a'))).to.deep.equal({ empty: true });
  });
});
