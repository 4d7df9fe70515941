import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { expect } from 'chai';
import { diskFreeResult, eventLoopLagResult, GIB, memoryRssResult, MIB, raftLagResult, runCommandCheck, runHttpCheck, runTcpCheck } from '../../src/node/health/health-checks.js';
import { exitCodeToHealth, httpStatusToHealth, parseHostPort, summarize, thresholdStatus, validateCheckSpec } from '../../src/api/health-check-spec.js';
import { rejectsInvalid } from '../fixtures/invalid-argument.js';


describe('health checks: validation', () => {
  it('accepts one of http/tcp/command with 0 < timeout < interval, and returns what is stored', () => {
    expect(validateCheckSpec('api', { http: 'http://127.0.0.1:8080/health', intervalMs: 5000, timeoutMs: 1000 })).to.deep.equal({
      name: 'api',
      kind: 'http',
      target: 'http://127.0.0.1:8080/health',
      intervalMs: 5000,
      timeoutMs: 1000,
    });
    expect(validateCheckSpec('db.primary', { tcp: '127.0.0.1:5432', intervalMs: 100, timeoutMs: 99 }).kind).to.equal('tcp');
    expect(validateCheckSpec('load_1', { command: 'true', intervalMs: 1000, timeoutMs: 1 }).kind).to.equal('command');
  });

  it('Consul rule: a negative or zero interval, or a timeout not shorter than the interval, is rejected', () => {
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: -5000, timeoutMs: 1000 }), /interval must be a positive duration \(got -5000ms\)/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 0, timeoutMs: 1000 }), /interval must be a positive/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 50, timeoutMs: 10 }), /from 100ms/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 1000, timeoutMs: 1000 }), /shorter than the interval/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 1000, timeoutMs: 0 }), /timeout must be a positive/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 1000.5, timeoutMs: 10 }), /interval must be a positive/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: '5s', timeoutMs: 10 }), /interval must be a positive duration \(got "5s"\)/);
  });

  it('rejects bad targets, names and shapes with a clear message', () => {
    rejectsInvalid(() => validateCheckSpec('a', { http: 'notaurl', intervalMs: 1000, timeoutMs: 10 }), /"notaurl" is not a URL/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'ftp://host/x', intervalMs: 1000, timeoutMs: 10 }), /must be http or https/);
    rejectsInvalid(() => validateCheckSpec('a', { tcp: '127.0.0.1', intervalMs: 1000, timeoutMs: 10 }), /must be host:port/);
    rejectsInvalid(() => validateCheckSpec('a', { tcp: '127.0.0.1:70000', intervalMs: 1000, timeoutMs: 10 }), /port from 1 to 65535/);
    rejectsInvalid(() => validateCheckSpec('a', { command: '', intervalMs: 1000, timeoutMs: 10 }), /non-empty string/);
    rejectsInvalid(() => validateCheckSpec('a', { intervalMs: 1000, timeoutMs: 10 }), /exactly one of http, tcp or command \(got none\)/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', tcp: 'x:1', intervalMs: 1000, timeoutMs: 10 }), /got http and tcp/);
    rejectsInvalid(() => validateCheckSpec('a', { http: 'http://x/', intervalMs: 1000, timeoutMs: 10, retries: 3 }), /unknown field "retries"/);
    rejectsInvalid(() => validateCheckSpec('bad name', { http: 'http://x/', intervalMs: 1000, timeoutMs: 10 }), /check name "bad name"/);
    rejectsInvalid(() => validateCheckSpec('a', null), /is an object/);
    expect(parseHostPort('t', '[::1]:80')).to.deep.equal({ host: '::1', port: 80 });
  });
});

describe('health checks: evaluation', () => {
  it('thresholds: passing below warning, warning below critical, critical at and above', () => {
    const limits = { warning: 10, critical: 20 };
    expect([0, 9.9, 10, 19.9, 20, 1e9, Number.NaN].map((v) => thresholdStatus(v, limits))).to.deep.equal([
      'passing',
      'passing',
      'warning',
      'warning',
      'critical',
      'critical',
      'critical',
    ]);
  });

  it("Consul's HTTP and script rules", () => {
    expect([200, 204, 299, 301, 404, 429, 500, 503].map(httpStatusToHealth)).to.deep.equal([
      'passing',
      'passing',
      'passing',
      'critical',
      'critical',
      'warning',
      'critical',
      'critical',
    ]);
    expect([0, 1, 2, 127, null].map(exitCodeToHealth)).to.deep.equal(['passing', 'warning', 'critical', 'critical', 'critical']);
  });

  it('the summary is the worst status, with the failing names sorted and at most 8', () => {
    expect(summarize([])).to.deep.equal({ status: 'passing', failing: [] });
    expect(summarize([{ name: 'b', status: 'warning' }, { name: 'a', status: 'passing' }])).to.deep.equal({ status: 'warning', failing: ['b'] });
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `c${String(i).padStart(2, '0')}`, status: i === 11 ? ('critical' as const) : ('warning' as const) }));
    const s = summarize(many);
    expect(s.status).to.equal('critical');
    expect(s.failing).to.have.length(8);
    expect(s.failing[0]).to.equal('c00');
  });

  it('raft lag (Consul autopilot limits): behind or out of contact is warning, far behind or leaderless critical', () => {
    expect(raftLagResult({ entriesBehind: 0, lastContactMs: 0, leader: 'n1', term: 3 }).status).to.equal('passing');
    expect(raftLagResult({ entriesBehind: 300, lastContactMs: 10, leader: 'n1', term: 3 }).status).to.equal('warning');
    expect(raftLagResult({ entriesBehind: 0, lastContactMs: 500, leader: 'n1', term: 3 }).status).to.equal('warning');
    expect(raftLagResult({ entriesBehind: 3000, lastContactMs: 10, leader: 'n1', term: 3 }).status).to.equal('critical');
    expect(raftLagResult({ entriesBehind: 0, lastContactMs: null, leader: null, term: 4 })).to.deep.equal({ status: 'critical', output: 'no known leader in term 4' });
  });

  it('built-in checks turn readings into statuses with the numbers in the output', () => {
    expect(memoryRssResult(100 * MIB, 10 * MIB).status).to.equal('passing');
    expect(memoryRssResult(1.5 * GIB, 10 * MIB).status).to.equal('warning');
    expect(memoryRssResult(3 * GIB, 10 * MIB)).to.deep.include({ status: 'critical' });
    expect(memoryRssResult(3 * GIB, 10 * MIB).output).to.match(/rss 3072 MiB/);
    expect(eventLoopLagResult(5, 9, 2000).status).to.equal('passing');
    expect(eventLoopLagResult(300, 400, 2000).status).to.equal('warning');
    expect(eventLoopLagResult(2500, 4000, 2000).output).to.match(/p99 2500\.0 ms, max 4000\.0 ms over 2\.0 s/);
    expect(diskFreeResult(50 * GIB, 100 * GIB, '/d').status).to.equal('passing');
    expect(diskFreeResult(8 * GIB, 100 * GIB, '/d').status).to.equal('warning');
    expect(diskFreeResult(4 * GIB, 100 * GIB, '/d')).to.deep.include({ status: 'critical' });
    expect(diskFreeResult(0, 0, '/d').status).to.equal('critical');
  });
});

describe('health checks: runners (real sockets and processes on loopback)', function () {
  this.timeout(20_000);
  let server: http.Server;
  let port = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      const code = Number(req.url?.slice(1)) || 200;
      res.writeHead(code);
      res.end(`status ${code}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('HTTP: 200 passing, 429 warning, 500 critical, each with the status line and body', async () => {
    const ok = await runHttpCheck(`http://127.0.0.1:${port}/200`, 1000);
    expect(ok.status).to.equal('passing');
    expect(ok.output).to.match(/: 200 OK\nstatus 200/);
    expect((await runHttpCheck(`http://127.0.0.1:${port}/429`, 1000)).status).to.equal('warning');
    expect((await runHttpCheck(`http://127.0.0.1:${port}/500`, 1000)).status).to.equal('critical');
  });

  it('HTTP: an unreachable URL or a slow answer is critical, never an exception', async () => {
    const closed = await freePort();
    const refused = await runHttpCheck(`http://127.0.0.1:${closed}/health`, 1000);
    expect(refused).to.deep.equal({ status: 'critical', output: `HTTP GET http://127.0.0.1:${closed}/health: connection refused` });
    const slow = await runHttpCheck(`http://127.0.0.1:${port}/slow`, 200);
    expect(slow.status).to.equal('critical');
    expect(slow.output).to.match(/no answer within 200 ms/);
    const badHost = await runHttpCheck('http://no-such-host.invalid/', 2000);
    expect(badHost.status).to.equal('critical');
  });

  it('TCP: a listening port is passing, a closed one critical', async () => {
    expect(await runTcpCheck(`127.0.0.1:${port}`, 1000)).to.deep.equal({ status: 'passing', output: `TCP connect 127.0.0.1:${port}: success` });
    const closed = await freePort();
    expect((await runTcpCheck(`127.0.0.1:${closed}`, 1000)).output).to.match(/connection refused/);
  });

  it('command: exit 0/1/2 are passing/warning/critical with the output', async () => {
    const cwd = os.tmpdir();
    expect(await runCommandCheck('echo fine', 2000, cwd)).to.deep.equal({ status: 'passing', output: 'exit 0\nfine' });
    expect((await runCommandCheck('echo slow >&2; exit 1', 2000, cwd)).output).to.equal('exit 1\nslow');
    expect((await runCommandCheck('exit 2', 2000, cwd)).status).to.equal('critical');
  });

  it('command: a timeout kills the whole process group and reads critical', async () => {
    let pid: number | undefined;
    const result = await runCommandCheck('sleep 30 & sleep 30; echo never', 300, os.tmpdir(), (p) => (pid = p));
    expect(result.status).to.equal('critical');
    expect(result.output).to.match(/timed out after 300 ms/);
    expect(pid).to.be.a('number');
    // Nothing of the group still runs (a killed child may take a moment to exit, then linger as a zombie until reaped).
    const deadline = Date.now() + 3000;
    while (liveGroupMembers(pid!).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(liveGroupMembers(pid!)).to.deep.equal([]);
  });
});

/** Pids in process group `pgid` that are not zombies, from /proc/<pid>/stat (field 5 is the group). */
function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
