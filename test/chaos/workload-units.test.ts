import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { CcmClient } from '../../src/client/ccm-client.js';
import { SeededRandom } from '../../src/random/random.js';
import { HistoryRecorder } from '../../src/workload/history-recorder.js';
import { classifyError, recordOperation } from '../../src/workload/operation.js';
import { RegisterWorkload } from '../../src/workload/register-workload.js';
import { longestOutageMs } from '../../src/workload/registry-workload.js';
import { etcdErrorAsCcm } from '../../src/workload/etcd-register.js';
import type { WorkloadContext } from '../../src/workload/workload.js';
import { pairOperations } from '../../src/check/index.js';

describe('history recorder', () => {
  it('records invoke and completion with times that never go back, and faults as intervals', () => {
    let now = 1000;
    const r = new HistoryRecorder(() => now);
    r.invoke(0, 'write', 'k', 1);
    now += 5;
    r.invoke(1, 'read', 'k', null);
    now += 5;
    r.complete(0, 'ok', { revision: 3 });
    const fault = r.faultStarted('kill', 'kill n2');
    now += 10;
    r.complete(1, 'info', { error: 'timeout', message: '' });
    r.faultEnded(fault);
    expect(r.events.map((e) => [e.process, e.type, e.f, e.key, e.timeMs])).to.deep.equal([
      [0, 'invoke', 'write', 'k', 0],
      [1, 'invoke', 'read', 'k', 5],
      [0, 'ok', 'write', 'k', 10],
      [1, 'info', 'read', 'k', 20],
    ]);
    expect(r.faults).to.deep.equal([{ kind: 'kill', description: 'kill n2', startMs: 10, endMs: 20 }]);
    expect(r.counts).to.deep.equal({ invoked: 2, ok: 1, fail: 0, info: 1 });
    expect(pairOperations(r.events)).to.have.length(2);
  });

  it('refuses a second invocation on a busy process, and a completion without one (a workload bug)', () => {
    const r = new HistoryRecorder();
    r.invoke(0, 'read', 'k', null);
    expect(() => r.invoke(0, 'read', 'k', null)).to.throw(/outstanding/);
    expect(() => r.complete(3, 'ok', null)).to.throw(/never invoked/);
  });
});

describe('operation outcomes (Jepsen ok / fail / info)', () => {
  it('a timeout or a lost connection may have happened: info; a definite error is fail; a read is never info', () => {
    const lost = new CcmError('unavailable', 'socket hang up');
    const refused = new CcmError('unavailable', 'ECONNREFUSED', { notSent: true });
    expect(classifyError(new CcmError('timeout', 'x'), false).type).to.equal('info');
    expect(classifyError(lost, false).type).to.equal('info');
    expect(classifyError(new Error('boom'), false).type).to.equal('info');
    for (const code of ['proposal_dropped', 'no_leader', 'failed_precondition', 'not_found', 'held'] as const) {
      expect(classifyError(new CcmError(code, 'x'), false).type, code).to.equal('fail');
    }
    expect(classifyError(refused, false).type).to.equal('fail');
    expect(classifyError(new CcmError('timeout', 'x'), true).type).to.equal('fail');
    expect(classifyError(new CcmError('no_leader', 'x'), false).isUnreachable).to.equal(true);
  });

  it('recordOperation completes every operation it invokes, whatever happens', async () => {
    const r = new HistoryRecorder();
    await recordOperation(r, { process: 0, f: 'write', key: 'k', input: 1 }, async () => ({ revision: 2 }), (x) => x);
    await recordOperation(r, { process: 0, f: 'write', key: 'k', input: 2 }, async () => Promise.reject(new CcmError('timeout', 't')), (x) => x);
    await recordOperation(
      r,
      { process: 0, f: 'read', key: 'k', input: null, isReadOnly: true },
      async () => Promise.reject(new CcmError('not_found', 'absent')),
      (x) => x,
      (err) => (err instanceof CcmError && err.code === 'not_found' ? { type: 'ok', value: null } : undefined),
    );
    expect(r.events.filter((e) => e.type !== 'invoke').map((e) => e.type)).to.deep.equal(['ok', 'info', 'ok']);
    expect(r.isBusy(0)).to.equal(false);
  });
});

/**
 * The register workload against an in-memory key-value service with the ccm API's semantics (GET /v1/kv,
 * PUT with ifValue / ifAbsent), each request taking a random few ms. With `staleReads`, a read now and
 * then answers from a snapshot taken before the latest writes: the checkers must catch that.
 */
function fakeKv(random: SeededRandom, staleReads: boolean): CcmClient {
  const store = new Map<string, string>();
  const old = new Map<string, string>();
  let revision = 1;
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, random.int(0, 3)));
  const read = (key: string): { kvs: { key: string; value: string; modRevision: number }[]; revision: number } => {
    const value = staleReads && random.next() < 0.2 && old.has(key) ? old.get(key) : store.get(key);
    if (value === undefined) throw new CcmError('not_found', `key ${key} not found`);
    return { kvs: [{ key, value, modRevision: revision }], revision };
  };
  const client = {
    async call(method: string, path: string, body?: { key: string; value: string; ifValue?: string; ifAbsent?: boolean }, opts: { query?: Record<string, string> } = {}) {
      await pause();
      if (method === 'GET' && path === '/v1/kv') return read(opts.query!.key);
      if (method === 'PUT' && path === '/v1/kv' && body) {
        const current = store.get(body.key);
        if (body.ifAbsent && current !== undefined) throw new CcmError('failed_precondition', 'exists');
        if (body.ifValue !== undefined && current !== body.ifValue) throw new CcmError(current === undefined ? 'not_found' : 'failed_precondition', 'compare failed');
        if (current !== undefined && random.next() < 0.5) old.set(body.key, current);
        store.set(body.key, body.value);
        await pause();
        return { revision: ++revision };
      }
      throw new Error(`fake: no route ${method} ${path}`);
    },
    async get(key: string) {
      await pause();
      return read(key);
    },
  };
  return client as unknown as CcmClient;
}

async function runRegister(staleReads: boolean, seed: number) {
  const random = new SeededRandom(seed);
  const recorder = new HistoryRecorder();
  const started = Date.now();
  const ctx: WorkloadContext = {
    endpoints: ['n1', 'n2', 'n3'].map((id, i) => ({ id, host: '127.0.0.1', port: 1 + i })),
    client: fakeKv(random, staleReads),
    recorder,
    random,
    runId: `t${seed}`,
    clients: 6,
    opTimeoutMs: 1000,
    isRunning: () => Date.now() - started < 1500,
    elapsedMs: () => recorder.nowMs(),
    durationMs: 1500,
    note: () => undefined,
  };
  const workload = new RegisterWorkload({ keys: 2, opsPerKey: 60 });
  await workload.setup(ctx);
  await workload.run(ctx);
  await workload.finish(ctx);
  return { results: workload.check(recorder.events, { timeBudgetMs: 20_000 }), recorder, workload };
}

describe('register workload on an in-memory service', () => {
  it('a correct store: every operation recorded in the shapes the checkers read, and the verdict is valid', async () => {
    const { results, recorder, workload } = await runRegister(false, 1);
    expect(results.map((r) => [r.checker, r.verdict])).to.deep.equal([
      ['linearizability', 'valid'],
      ['lost-writes', 'valid'],
    ]);
    const fs = new Set(recorder.events.map((e) => e.f));
    expect([...fs].sort()).to.deep.equal(['cas', 'read', 'write']);
    expect(recorder.counts.ok).to.be.greaterThan(100);
    expect(Number(workload.stats()['keys used'])).to.be.greaterThan(2);
  });

  it('a store that sometimes reads stale: linearizability says invalid, with a counter-example', async () => {
    const { results } = await runRegister(true, 2);
    const lin = results.find((r) => r.checker === 'linearizability')!;
    expect(lin.verdict).to.equal('invalid');
    expect(lin.counterExample?.ops.some((op) => op.f === 'read')).to.equal(true);
  });
});

describe('registry outage measure', () => {
  it('is the longest stretch without a successful operation', () => {
    const at = (timeMs: number, type: 'ok' | 'invoke') => ({ process: 0, type, f: 'lookup', value: null, timeMs });
    expect(longestOutageMs([at(0, 'invoke'), at(10, 'ok'), at(20, 'invoke'), at(2500, 'ok'), at(2600, 'ok')])).to.equal(2490);
    expect(longestOutageMs([])).to.equal(0);
  });
});

describe('etcd workload: what an etcd error says about a write', () => {
  const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });
  const outcome = (err: unknown) => classifyError(etcdErrorAsCcm(err), false).type;

  it('no leader, leader changed, a refused connection, a compare or lease error: it did not happen', () => {
    expect(outcome(grpc(14, 'etcdserver: no leader'))).to.equal('fail');
    expect(outcome(grpc(14, 'etcdserver: leader changed'))).to.equal('fail');
    expect(outcome(grpc(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1'))).to.equal('fail');
    expect(outcome(grpc(5, 'etcdserver: requested lease not found'))).to.equal('fail');
    expect(outcome(grpc(3, 'etcdserver: duplicate key given in txn request'))).to.equal('fail');
  });

  it('a timeout, a lost connection, a deadline, anything else: it may have happened', () => {
    expect(outcome(grpc(14, 'etcdserver: request timed out'))).to.equal('info');
    expect(outcome(grpc(14, 'Connection dropped'))).to.equal('info');
    expect(outcome(grpc(4, 'Deadline exceeded'))).to.equal('info');
    expect(outcome(new Error('something else'))).to.equal('info');
  });
});
