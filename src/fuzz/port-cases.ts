import { encodeFrame } from '../net/framing.js';
import type { Random } from '../random/random.js';
import { damageText, mutatedJson, pick, randomBytes } from './json-mutations.js';

/**
 * The fuzz cases for each port of a node, as bytes: each starts from valid traffic (what ccm's own client, peers
 * and gossip send) and breaks it, or is random bytes. A case depends only on the Random it is given, so a seed and a
 * case number name it for good (fuzz-run.ts derives one Random per case).
 *
 * The target is node `target` of a cluster whose other node `self` is stopped: the fuzzer speaks as `self` (its
 * peer id, from its gossip port), so its frames and datagrams pass the transports' identity checks and reach the
 * schema checks and the handlers behind them. The cases here are the plaintext: fuzz-run.ts sends them as an
 * insider (sealed with the cluster's key, HTTP with its token), a few as an outsider (as they are).
 */
export interface FuzzTarget {
  target: string;
  self: string;
  selfGossipAddress: string;
}

export interface FuzzCase {
  /** What was sent, briefly (for the report). */
  what: string;
  /** The bytes, in the writes to make (HTTP and peer: one connection; gossip: one datagram each). */
  chunks: Buffer[];
  /**
   * Sent as they are, without the cluster's token or key (fuzz-run.ts): the node must refuse them at its door
   * (401, bad_seal). Otherwise the fuzzer sends them as an insider, sealed and with the token.
   */
  asOutsider?: boolean;
}

/** Far in the future: a forwarded call's deadline (the node caps it to a minute), fixed so a case replays byte for byte. */
const DEADLINE = 9_999_999_999_999;

// ---- HTTP ------------------------------------------------------------------------------------------------------

interface HttpSeed {
  method: string;
  path: string;
  body?: unknown;
}

const COMMAND_OPS = ['put', 'delete', 'txn', 'lease-grant', 'lease-renew', 'lease-revoke', 'lease-expire', 'acquire', 'release', 'compact'];

const HTTP_SEEDS: HttpSeed[] = [
  { method: 'PUT', path: '/v1/kv', body: { key: '/fuzz/a', value: 'v' } },
  { method: 'PUT', path: '/v1/kv', body: { key: '/fuzz/a', value: 'v', ifModRev: 1, lease: 0 } },
  { method: 'GET', path: '/v1/kv?key=/fuzz/a' },
  { method: 'GET', path: '/v1/kv?key=/fuzz/&prefix=true&limit=10&serializable=true' },
  { method: 'DELETE', path: '/v1/kv?key=/fuzz/a&ifModRev=3' },
  {
    method: 'POST',
    path: '/v1/kv/txn',
    body: { compare: [{ key: '/fuzz/a', target: 'mod', op: '=', value: 0 }], success: [{ op: 'put', key: '/fuzz/b', value: 'x' }], failure: [{ op: 'get', key: '/fuzz/a' }] },
  },
  { method: 'POST', path: '/v1/kv/compact', body: { revision: 1 } },
  { method: 'POST', path: '/v1/locks/fuzz-r/acquire', body: { holder: 'h', ttlMs: 5000 } },
  { method: 'POST', path: '/v1/locks/fuzz-r/acquire', body: { holder: 'h2', ttlMs: 5000, wait: true, waitTimeoutMs: 200 } },
  { method: 'POST', path: '/v1/locks/fuzz-r/renew', body: { lease: 5 } },
  { method: 'POST', path: '/v1/locks/fuzz-r/release', body: { lease: 5 } },
  { method: 'GET', path: '/v1/locks/fuzz-r' },
  { method: 'POST', path: '/v1/leases', body: { ttlMs: 5000, owner: 'fuzz' } },
  { method: 'POST', path: '/v1/leases/5/renew', body: {} },
  { method: 'DELETE', path: '/v1/leases/5' },
  { method: 'PUT', path: '/v1/config/fuzz.a', body: { value: '1', type: 'int', by: 'fuzz' } },
  { method: 'POST', path: '/v1/config/fuzz.a/rollback', body: { toVersion: 1 } },
  { method: 'POST', path: '/v1/config-import', body: { entries: { 'fuzz.b': 'x', 'fuzz.c': { type: 'int', value: 2 } } } },
  { method: 'POST', path: '/v1/services/fuzz/instances', body: { id: 'f-1', address: '127.0.0.1', port: 1, ttlMs: 5000, tags: ['a'] } },
  { method: 'POST', path: '/v1/elections/fuzz/campaign', body: { id: 'c1', ttlMs: 5000, waitTimeoutMs: 200 } },
  { method: 'GET', path: '/v1/watch?key=/fuzz/&prefix=true&fromRev=1&progressMs=100' },
  { method: 'GET', path: '/v1/status' },
  { method: 'GET', path: '/v1/events?since=0' },
  { method: 'PUT', path: '/admin/gossip/tags', body: { set: { zone: 'a' }, remove: ['rack'] } },
  { method: 'POST', path: '/admin/reach-probe', body: { nonce: 'fuzz' } },
  { method: 'POST', path: '/v1/core/transfer-leader', body: { to: 'n1' } },
];

const NASTY_TARGETS = [
  '//:99999',
  '//[',
  '//',
  '*',
  'http://evil/v1/status',
  '/%',
  '/%zz',
  '/v1/kv?key=%',
  '/v1/kv?key=%E0%A4%A',
  '/v1/locks/%E0%A4%A/acquire',
  '/v1/locks/..%2f..%2fetc/acquire',
  '/v1/leases/1e400',
  '/v1/leases/-1/renew',
  '/v1/leases/__proto__',
  '/v1/config/constructor',
  '/v1/watch?key=/a&fromRev=99999999999999999999&progressMs=-5',
  '/v1/kv?key=/a&limit=1e999',
  '/v1//kv',
  '/\u00ff\u00fe',
  `/${'a'.repeat(20_000)}`,
  '/v1/kv?' + 'k=v&'.repeat(5000),
];

export function httpCase(random: Random): FuzzCase {
  const roll = random.next();
  if (roll < 0.1) {
    const bytes = randomBytes(random, 4096);
    return { what: `${bytes.length} random bytes`, chunks: [bytes] };
  }
  const seed = pick(random, HTTP_SEEDS);
  let method = seed.method;
  let target = seed.path;
  let body = seed.body === undefined ? '' : JSON.stringify(seed.body);
  const headers: [string, string][] = [
    ['Host', '127.0.0.1'],
    ['Content-Type', 'application/json'],
  ];
  let what: string;
  let contentLength: string | null = String(Buffer.byteLength(body));
  let version = 'HTTP/1.1';
  if (roll < 0.3) {
    switch (random.int(0, 3)) {
      case 0:
        target = pick(random, NASTY_TARGETS);
        break;
      case 1:
        method = pick(random, ['', 'get', 'G\u00c9T', 'CONNECT', 'TRACE', 'PATCH', 'OPTIONS', 'X'.repeat(100)]);
        break;
      case 2:
        version = pick(random, ['HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1 extra', 'HTTX/1.1', '']);
        break;
      default:
        target = target.replace(/[a-z]/, (c) => pick(random, ['%00', '%', '%%', '\t', '#', '?', '\u0000', c + '%2F']));
    }
    what = `HTTP ${JSON.stringify(method.slice(0, 20))} ${JSON.stringify(target.slice(0, 60))} ${JSON.stringify(version)}`;
  } else if (roll < 0.5) {
    switch (random.int(0, 7)) {
      case 0:
        headers.push(['X-Big', 'a'.repeat(random.int(10_000, 40_000))]);
        break;
      case 1:
        for (let i = random.int(60, 300); i > 0; i--) headers.push([`X-H${i}`, 'v']);
        break;
      case 2:
        headers.push(['Bad Header', 'v']);
        break;
      case 3:
        contentLength = pick(random, ['-1', 'abc', '99999999999999999999', '1e3', String(Buffer.byteLength(body) + 5)]);
        break;
      case 4:
        headers.push(['Content-Length', '0']);
        break;
      case 5:
        contentLength = null;
        headers.push(['Transfer-Encoding', pick(random, ['chunked', 'gzip', 'chunked, chunked'])]);
        body = pick(random, ['zz\r\nabc\r\n0\r\n\r\n', `${(1e7).toString(16)}\r\nx\r\n`, '5\r\n{"a":\r\n0\r\n\r\n']);
        break;
      case 6:
        headers.push(['X-Ccm-Timeout-Ms', pick(random, ['-1', 'NaN', '1e400', 'abc', '0', ''])]);
        break;
      default:
        headers.splice(0, 1);
        headers.push(['Host', pick(random, ['', 'a'.repeat(300), '[::1', 'evil:99999'])]);
    }
    what = `HTTP ${method} ${seed.path} with broken headers`;
  } else {
    if (seed.body !== undefined) {
      body = random.next() < 0.1 ? randomBytes(random, 2000).toString('latin1') : mutatedJson(random, seed.body, COMMAND_OPS);
    } else {
      target = mutateQuery(random, target);
    }
    contentLength = String(Buffer.byteLength(body));
    what = `HTTP ${method} ${seed.path} with a mutated ${seed.body !== undefined ? 'body' : 'query'}`;
  }
  const head = [`${method} ${target} ${version}`, ...headers.map(([k, v]) => `${k}: ${v}`), ...(contentLength !== null ? [`Content-Length: ${contentLength}`] : [])].join('\r\n');
  return { what, chunks: [Buffer.from(`${head}\r\n\r\n${body}`, 'latin1')] };
}

function mutateQuery(random: Random, target: string): string {
  const [path, query = ''] = target.split('?');
  const params = query.split('&').filter(Boolean);
  const junk = pick(random, ['', '%', '-1', '1e400', 'NaN', 'true', 'x'.repeat(5000), '\u0000', '99999999999999999999', '__proto__']);
  if (params.length > 0 && random.next() < 0.7) {
    const i = random.int(0, params.length - 1);
    params[i] = `${params[i].split('=')[0]}=${junk}`;
  } else {
    params.push(`${pick(random, ['key', 'prefix', 'limit', 'fromRev', 'progressMs', 'format', 'since', 'serializable', '__proto__'])}=${junk}`);
  }
  return `${path}?${params.join('&')}`;
}

// ---- peer TCP --------------------------------------------------------------------------------------------------

const RAFT_TYPES = ['app', 'app-resp', 'vote', 'pre-vote', 'vote-resp', 'pre-vote-resp', 'snap', 'heartbeat', 'heartbeat-resp', 'timeout-now'];
const ENVELOPE_KINDS = ['hello', 'reach-ping', 'rpc-req', 'rpc-res', 'raft', 'swim', 'push-pull-req', 'bogus'];

function commandSeeds(): unknown[] {
  return [
    { op: 'put', key: '/fuzz/p', value: 'v' },
    { op: 'put', key: '/fuzz/p', value: 'v', lease: 3 },
    { op: 'delete', key: '/fuzz/', prefix: true },
    { op: 'txn', compare: [{ key: '/fuzz/p', target: 'value', op: '=', value: 'v' }], success: [{ op: 'put', key: '/fuzz/q', value: '1' }], failure: [{ op: 'get', key: '/fuzz/p', prefix: false }] },
    { op: 'lease-grant', ttlMs: 5000, owner: 'fuzz', atMs: 1 },
    { op: 'lease-renew', id: 3, atMs: 1, resource: 'fuzz-r' },
    { op: 'lease-revoke', id: 3 },
    { op: 'lease-expire', id: 3, renewals: 0 },
    { op: 'acquire', resource: 'fuzz-r', holder: 'h', ttlMs: 5000, wait: true, atMs: 1 },
    { op: 'release', resource: 'fuzz-r', lease: 3 },
    { op: 'compact', revision: 1 },
  ];
}

function peerBodySeeds(t: FuzzTarget): { kind: string; body: unknown }[] {
  const base = { from: t.self, to: t.target, term: 1 };
  const entry = (index: number, data: string) => ({ index, term: 1, kind: 'normal', data });
  const rpc = (method: string, params: unknown) => ({ kind: 'rpc-req', body: { id: 1, method, params } });
  const member = { id: t.self, address: t.selfGossipAddress, state: 'alive', incarnation: 1, meta: { joinedAtMs: 1, tags: { zone: 'a' } } };
  return [
    { kind: 'raft', body: { ...base, type: 'heartbeat', commit: 0, context: '' } },
    { kind: 'raft', body: { ...base, type: 'app', index: 0, logTerm: 0, entries: [entry(1, JSON.stringify(commandSeeds()[0]))], commit: 0 } },
    { kind: 'raft', body: { ...base, type: 'app', index: 1, logTerm: 1, entries: [{ index: 2, term: 1, kind: 'conf-change', data: '{"type":"add-learner","nodeId":"n3"}' }], commit: 1 } },
    { kind: 'raft', body: { ...base, type: 'vote', index: 0, logTerm: 0, isLeaderTransfer: false } },
    { kind: 'raft', body: { ...base, type: 'pre-vote', index: 99, logTerm: 1, isLeaderTransfer: true } },
    { kind: 'raft', body: { ...base, type: 'app-resp', index: 1, reject: false, rejectHint: 0, logTerm: 0 } },
    { kind: 'raft', body: { ...base, type: 'vote-resp', reject: false } },
    { kind: 'raft', body: { ...base, type: 'heartbeat-resp', context: 'n1-1' } },
    { kind: 'raft', body: { ...base, type: 'timeout-now' } },
    {
      kind: 'raft',
      body: {
        ...base,
        type: 'snap',
        snapshot: { meta: { index: 5, term: 1, confState: { voters: [t.target], learners: [] } }, data: JSON.stringify({ revision: 1, compactRevision: 0, kvs: [], leases: [], events: [] }) },
      },
    },
    ...commandSeeds().map((command) => rpc('core.write', { command, deadline: DEADLINE, hops: 0 })),
    rpc('core.read', { read: { kind: 'range', key: '/fuzz/', prefix: true, limit: 5 }, serializable: false, deadline: DEADLINE, hops: 0 }),
    rpc('core.read', { read: { kind: 'locks', resource: 'fuzz-r' }, serializable: true, deadline: DEADLINE, hops: 1 }),
    rpc('core.watch-poll', { spec: { key: '/fuzz/', prefix: true, fromRevision: 1 }, waitMs: 50 }),
    rpc('core.transfer-leader', { to: t.self, deadline: DEADLINE, hops: 0 }),
    rpc('core.conf-change', { change: { type: 'remove-node', nodeId: t.target }, deadline: DEADLINE, hops: 0 }),
    rpc('swim.push-pull', { v: 1, from: t.self, join: true, members: [member] }),
    { kind: 'rpc-res', body: { id: 1, result: { op: 'put', revision: 1 } } },
    { kind: 'rpc-res', body: { id: 2, error: { code: 'internal', message: 'x', details: { a: 1 } } } },
    { kind: 'reach-ping', body: { nonce: 'fuzz' } },
    { kind: 'swim', body: { v: 1, from: t.self, msgs: [{ type: 'ping', seq: 1, target: t.target }] } },
  ];
}

const frame = (text: string | Buffer): Buffer => encodeFrame(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);

export function peerCase(random: Random, t: FuzzTarget): FuzzCase {
  const chunks: Buffer[] = [];
  const parts: string[] = [];
  const hello = { kind: 'hello', from: t.self, to: t.target, body: null };
  if (random.next() < 0.9) chunks.push(frame(JSON.stringify(hello)));
  else {
    chunks.push(frame(mutatedJson(random, hello, [t.self, 'n9', ''])));
    parts.push('a mutated hello');
  }
  const seeds = peerBodySeeds(t);
  for (let n = random.int(1, 4); n > 0; n--) {
    const roll = random.next();
    if (roll < 0.08) {
      chunks.push(frame(randomBytes(random, 2000)));
      parts.push('a random frame');
    } else if (roll < 0.12) {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(pick(random, [0xffffffff, 64 * 1024 * 1024 + 1, 5000, 3]));
      chunks.push(Buffer.concat([header, randomBytes(random, 100)]));
      parts.push('a broken length prefix');
    } else {
      const seed = pick(random, seeds);
      const envelope = { kind: seed.kind, from: t.self, to: t.target, body: seed.body };
      const method = (seed.body as { method?: string }).method;
      const name = `${seed.kind}${method ? ` ${method}` : ''}${(seed.body as { type?: string }).type ? ` ${(seed.body as { type: string }).type}` : ''}`;
      if (roll < 0.25) {
        chunks.push(frame(JSON.stringify(envelope)));
        parts.push(`a valid ${name}`);
      } else if (roll < 0.85) {
        // Mostly the body, sometimes the envelope around it.
        const text = random.next() < 0.8 ? withBody(envelope, mutatedJsonSafe(random, seed.body)) : mutatedJson(random, envelope, ENVELOPE_KINDS);
        chunks.push(frame(random.next() < 0.1 ? damageText(random, text) : text));
        parts.push(`a mutated ${name}`);
      } else {
        chunks.push(frame(mutatedJson(random, envelope, [...RAFT_TYPES, ...COMMAND_OPS, ...ENVELOPE_KINDS])));
        parts.push(`a mutated ${name} envelope`);
      }
    }
  }
  return { what: `peer: ${parts.join(', ')}`, chunks };
}

/** The envelope's JSON with `bodyText` spliced in as its body (no re-encoding: the body may be too deep to stringify). */
function withBody(envelope: { kind: string; from: string; to: string }, bodyText: string): string {
  return `{"kind":${JSON.stringify(envelope.kind)},"from":${JSON.stringify(envelope.from)},"to":${JSON.stringify(envelope.to)},"body":${bodyText}}`;
}

/** A mutation whose text still parses (damaged text goes in whole frames elsewhere). */
function mutatedJsonSafe(random: Random, value: unknown): string {
  for (let i = 0; i < 5; i++) {
    const text = mutatedJson(random, value, [...RAFT_TYPES, ...COMMAND_OPS]);
    try {
      JSON.parse(text);
      return text;
    } catch {
      // try another
    }
  }
  return JSON.stringify(value);
}

// ---- gossip UDP ------------------------------------------------------------------------------------------------

export function gossipCase(random: Random, t: FuzzTarget): FuzzCase {
  if (random.next() < 0.1) {
    const bytes = randomBytes(random, 1400);
    return { what: `gossip: ${bytes.length} random bytes`, chunks: [bytes] };
  }
  const meta = { joinedAtMs: 1, tags: { zone: 'a' }, core: { role: 'member' } };
  const msgs = [
    { type: 'ping', seq: 1, target: t.target },
    { type: 'ack', seq: 1 },
    { type: 'nack', seq: 2 },
    { type: 'ping-req', seq: 3, target: 'n3', targetAddress: '127.0.0.1:1', wantsNack: true },
    { type: 'alive', member: t.self, address: t.selfGossipAddress, incarnation: 2, meta },
    { type: 'suspect', member: t.target, incarnation: 0, from: t.self },
    { type: 'dead', member: 'n3', incarnation: 1, from: t.self },
  ];
  const packet = { v: 1, from: t.self, msgs: Array.from({ length: random.int(1, 3) }, () => pick(random, msgs)) };
  const envelope = { kind: 'swim', from: t.self, to: t.target, body: packet };
  const text = random.next() < 0.2 ? JSON.stringify(envelope) : random.next() < 0.8 ? withBody(envelope, mutatedJsonSafe(random, packet)) : mutatedJson(random, envelope, ENVELOPE_KINDS);
  const bytes = Buffer.from(text, 'utf8');
  // A datagram carries at most 64 KiB.
  return { what: `gossip: ${packet.msgs.map((m) => m.type).join('+')} packet${text === JSON.stringify(envelope) ? '' : ', mutated'}`, chunks: [bytes.subarray(0, 60_000)] };
}
