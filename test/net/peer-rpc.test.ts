import { Type } from '@sinclair/typebox';
import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { Envelope } from '../../src/net/envelope.js';
import { RefusedInput } from '../../src/net/input-rejections.js';
import { PeerRpc, rpcMethod } from '../../src/net/peer-rpc.js';

const ADD = rpcMethod('test.add', Type.Object({ a: Type.Integer(), b: Type.Integer() }, { additionalProperties: false }), Type.Object({ sum: Type.Integer() }));

/** Two nodes' rpc endpoints wired back to back; `tamper` may rewrite or drop what n2 sends back. */
function pair(tamper: (e: Envelope) => Envelope | null = (e) => e) {
  const rejected: { at: string; reason: string }[] = [];
  let n1: PeerRpc;
  let n2: PeerRpc;
  const deliver = (to: PeerRpc, e: Envelope | null): void => {
    if (e) setImmediate(() => void to.receive(e));
  };
  n1 = new PeerRpc('n1', (e) => deliver(n2, e), { onReject: (reason) => rejected.push({ at: 'n1', reason }) });
  n2 = new PeerRpc('n2', (e) => deliver(n1, tamper(e)), { onReject: (reason) => rejected.push({ at: 'n2', reason }) });
  return { n1, n2, rejected };
}

describe('peer rpc: every method checks its params (callee) and its result (caller)', () => {
  it('params that do not fit the method are answered invalid_argument before the handler runs', async () => {
    const { n1, n2, rejected } = pair();
    let calls = 0;
    n2.handle(ADD, (p) => {
      calls++;
      return { sum: p.a + p.b };
    });
    expect(await n1.call('n2', ADD, { a: 1, b: 2 }, 1000)).to.deep.equal({ sum: 3 });
    const err = await n1.call('n2', ADD, { a: 1, b: 'x' } as never, 1000).catch((e: CcmError) => e);
    expect(err).to.be.instanceOf(CcmError).with.property('code', 'invalid_argument');
    expect((err as Error).message).to.match(/test\.add params \/b/);
    expect(calls).to.equal(1);
    expect(rejected).to.deep.equal([{ at: 'n2', reason: 'bad_body' }]);
  });

  it('an unknown method is answered invalid_argument; a handler that throws a non-CcmError answers `internal` and is counted', async () => {
    const { n1, n2, rejected } = pair();
    const OTHER = rpcMethod('test.other', Type.Null(), Type.Null());
    expect(await n1.call('n2', OTHER, null, 1000).catch((e: CcmError) => e.code)).to.equal('invalid_argument');
    n2.handle(ADD, () => {
      throw new TypeError('boom');
    });
    const err = await n1.call('n2', ADD, { a: 1, b: 1 }, 1000).catch((e: CcmError) => e);
    expect(err).to.have.property('code', 'internal');
    expect((err as Error).message).to.not.include('boom');
    n2.handle(ADD, () => {
      throw new RefusedInput('too_many_watchers', 'resource_exhausted', 'full');
    });
    expect(await n1.call('n2', ADD, { a: 1, b: 1 }, 1000).catch((e: CcmError) => e.code)).to.equal('resource_exhausted');
    expect(rejected.map((r) => r.reason)).to.deep.equal(['unknown_method', 'handler_error', 'too_many_watchers']);
  });

  it('a result that does not fit the method fails the call (bad_rpc_result); a malformed answer is dropped (bad_body)', async () => {
    let mode = 'wrong-result';
    const { n1, n2, rejected } = pair((e) => {
      const body = e.body as { id: number; result?: unknown };
      if (mode === 'wrong-result') return { ...e, body: { id: body.id, result: { sum: 'lots' } } };
      if (mode === 'garbage') return { ...e, body: { id: body.id, result: 1, extra: true } };
      return e;
    });
    n2.handle(ADD, (p) => ({ sum: p.a + p.b }));
    const err = await n1.call('n2', ADD, { a: 1, b: 2 }, 1000).catch((e: CcmError) => e);
    expect(err).to.have.property('code', 'internal');
    expect((err as Error).message).to.match(/malformed answer/);
    mode = 'garbage';
    expect(await n1.call('n2', ADD, { a: 1, b: 2 }, 300).catch((e: CcmError) => e.code)).to.equal('timeout');
    expect(rejected.map((r) => r.reason)).to.deep.equal(['bad_rpc_result', 'bad_body']);
  });

  it('an answer from a peer that was not asked is ignored', async () => {
    const { n1, n2 } = pair();
    n2.handle(ADD, () => new Promise<never>(() => undefined));
    const p = n1.call('n2', ADD, { a: 1, b: 2 }, 200).catch((e: CcmError) => e.code);
    await n1.receive({ kind: 'rpc-res', from: 'n3', to: 'n1', body: { id: 1, result: { sum: 99 } } });
    expect(await p).to.equal('timeout');
  });
});
