import { CcmError, type ErrorBody } from '../client/api-errors.js';
import type { Envelope } from './envelope.js';

/** A request/response call between nodes over the TCP transport (and so through the link filter). */
export interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

export interface RpcResponse {
  id: number;
  result?: unknown;
  error?: ErrorBody['error'];
}

export type RpcHandler = (params: unknown, from: string) => Promise<unknown> | unknown;

/** Calls waiting for an answer; bounded so a dead peer cannot make us hold unbounded memory. */
const MAX_PENDING_CALLS = 100_000;

export class PeerRpc {
  private nextId = 1;
  private readonly pending = new Map<number, { peer: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, RpcHandler>();

  constructor(
    private readonly selfId: string,
    private readonly send: (envelope: Envelope, onNotSent?: () => void) => void,
  ) {}

  handle(method: string, handler: RpcHandler): void {
    this.handlers.set(method, handler);
  }

  /** Calls `method` on `peer`; rejects with a `timeout` CcmError after `timeoutMs`, or with the peer's error. */
  call<T = unknown>(peer: string, method: string, params: unknown, timeoutMs: number): Promise<T> {
    if (this.pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(new CcmError('unavailable', 'too many peer calls in flight'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CcmError('timeout', `no answer from ${peer} to ${method} within ${Math.round(timeoutMs)} ms`));
      }, timeoutMs);
      this.pending.set(id, { peer, resolve: resolve as (v: unknown) => void, reject, timer });
      const body: RpcRequest = { id, method, params };
      this.send({ kind: 'rpc-req', from: this.selfId, to: peer, body }, () => {
        const call = this.pending.get(id);
        if (!call) return;
        this.pending.delete(id);
        clearTimeout(call.timer);
        call.reject(new CcmError('unavailable', `cannot connect to ${peer}`, { notSent: true }));
      });
    });
  }

  /** Routes an incoming rpc envelope. */
  async receive(envelope: Envelope): Promise<void> {
    if (envelope.kind === 'rpc-res') {
      const res = envelope.body as RpcResponse;
      const call = this.pending.get(res?.id);
      if (!call) return;
      this.pending.delete(res.id);
      clearTimeout(call.timer);
      if (res.error) call.reject(new CcmError(res.error.code, res.error.message, res.error.details));
      else call.resolve(res.result);
      return;
    }
    if (envelope.kind !== 'rpc-req') return;
    const req = envelope.body as RpcRequest;
    if (typeof req?.id !== 'number' || typeof req.method !== 'string') return;
    const reply = (body: RpcResponse): void => this.send({ kind: 'rpc-res', from: this.selfId, to: envelope.from, body });
    const handler = this.handlers.get(req.method);
    if (!handler) {
      reply({ id: req.id, error: { code: 'invalid_argument', message: `unknown peer method ${req.method}` } });
      return;
    }
    try {
      const result = await handler(req.params, envelope.from);
      reply({ id: req.id, result });
    } catch (err) {
      const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message);
      reply({ id: req.id, error: e.toBody().error });
    }
  }

  /** The connection to `peer` dropped: its answers cannot come, so fail its calls now (outcome unknown). */
  peerLost(peer: string): void {
    for (const [id, call] of this.pending) {
      if (call.peer !== peer) continue;
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(new CcmError('unavailable', `connection to ${peer} was lost while waiting for its answer`, { connectionLost: true }));
    }
  }

  /** Fails every waiting call (on shutdown). */
  close(): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new CcmError('unavailable', 'node shutting down'));
      this.pending.delete(id);
    }
  }
}
