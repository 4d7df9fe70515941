import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CcmError, HTTP_STATUS, type ErrorBody, type ErrorCode } from '../errors/ccm-error.js';
import { compileSchema, Count, literalUnion, type CompiledSchema } from '../schema/compiled-schema.js';
import type { Envelope } from './envelope.js';
import { RefusedInput, type RejectFn, type RejectionReason } from './input-rejections.js';

/**
 * A peer RPC method: its name and the schemas of its params and its result. Both ends check: the callee the params
 * before its handler runs (a misfit is answered invalid_argument), the caller the result before it is believed (a
 * misfit fails the call). The handler's params and the call's result are typed from the same schemas.
 */
export interface RpcMethod<P extends TSchema, R extends TSchema> {
  readonly name: string;
  readonly params: CompiledSchema<P>;
  readonly result: CompiledSchema<R>;
}

export function rpcMethod<P extends TSchema, R extends TSchema>(name: string, params: P, result: R): RpcMethod<P, R> {
  return { name, params: compileSchema(params), result: compileSchema(result) };
}

export const RpcRequestSchema = Type.Object(
  { id: Count, method: Type.String({ minLength: 1, maxLength: 128 }), params: Type.Unknown() },
  { additionalProperties: false },
);

const ERROR_CODES = Object.keys(HTTP_STATUS) as ErrorCode[];

export const RpcErrorSchema = Type.Object(
  {
    code: literalUnion(ERROR_CODES),
    message: Type.String({ maxLength: 64 * 1024 }),
    details: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const RpcResponseSchema = Type.Object(
  { id: Count, result: Type.Optional(Type.Unknown()), error: Type.Optional(RpcErrorSchema) },
  { additionalProperties: false },
);

/** A request/response call between nodes over the TCP transport (and so through the link filter). */
export type RpcRequest = Static<typeof RpcRequestSchema>;
export interface RpcResponse {
  id: number;
  result?: unknown;
  error?: ErrorBody['error'];
}

const requestCheck = compileSchema(RpcRequestSchema);
const responseCheck = compileSchema(RpcResponseSchema);

/** Calls waiting for an answer; bounded so a dead peer cannot make us hold unbounded memory. */
const MAX_PENDING_CALLS = 100_000;
/** Calls from one peer being handled at once (a watch poll waits up to 10 s); more are refused. */
export const MAX_INBOUND_CALLS_PER_PEER = 4096;

type AnyMethod = RpcMethod<TSchema, TSchema>;
type Handler = (params: unknown, from: string) => Promise<unknown> | unknown;

export interface PeerRpcOptions {
  /** A refused request or answer, or a handler's unexpected error (answered `internal`): counted by the node (port "peer"). */
  onReject?: RejectFn;
  /** TEST-ONLY (CCM_UNSAFE_SKIP_VALIDATION=1): believe every request, answer and param as it comes. */
  unsafeSkipChecks?: boolean;
}

export class PeerRpc {
  private nextId = 1;
  private readonly pending = new Map<number, { peer: string; method: AnyMethod; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, { method: AnyMethod; handler: Handler }>();
  private readonly inboundCalls = new Map<string, number>();

  constructor(
    private readonly selfId: string,
    private readonly send: (envelope: Envelope, onNotSent?: () => void) => void,
    private readonly options: PeerRpcOptions = {},
  ) {}

  handle<P extends TSchema, R extends TSchema>(method: RpcMethod<P, R>, handler: (params: Static<P>, from: string) => Promise<Static<R>> | Static<R>): void {
    this.handlers.set(method.name, { method: method as unknown as AnyMethod, handler: handler as Handler });
  }

  /** Calls `method` on `peer`; rejects with a `timeout` CcmError after `timeoutMs`, or with the peer's error. */
  call<P extends TSchema, R extends TSchema>(peer: string, method: RpcMethod<P, R>, params: Static<P>, timeoutMs: number): Promise<Static<R>> {
    if (this.pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(new CcmError('unavailable', 'too many peer calls in flight'));
    }
    const id = this.nextId++;
    return new Promise<Static<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CcmError('timeout', `no answer from ${peer} to ${method.name} within ${Math.round(timeoutMs)} ms`));
      }, timeoutMs);
      this.pending.set(id, { peer, method: method as unknown as AnyMethod, resolve: resolve as (v: unknown) => void, reject, timer });
      const body: RpcRequest = { id, method: method.name, params };
      this.send({ kind: 'rpc-req', from: this.selfId, to: peer, body }, () => {
        const call = this.pending.get(id);
        if (!call) return;
        this.pending.delete(id);
        clearTimeout(call.timer);
        call.reject(new CcmError('unavailable', `cannot connect to ${peer}`, { notSent: true }));
      });
    });
  }

  /** Routes an incoming rpc envelope. Never throws and never rejects: every failure is answered or counted. */
  async receive(envelope: Envelope): Promise<void> {
    if (envelope.kind === 'rpc-res') this.receiveResponse(envelope);
    else if (envelope.kind === 'rpc-req') await this.receiveRequest(envelope);
  }

  private receiveResponse(envelope: Envelope): void {
    const problem = this.options.unsafeSkipChecks ? undefined : responseCheck.problem(envelope.body);
    if (problem !== undefined) return this.reject('bad_body', envelope.from, `rpc-res ${problem}`);
    const res = envelope.body as RpcResponse;
    const call = this.pending.get(res.id);
    // An answer to nothing we asked (late, after a timeout), or to a call made to another peer: dropped.
    if (!call || call.peer !== envelope.from) return;
    this.pending.delete(res.id);
    clearTimeout(call.timer);
    if (res.error) {
      call.reject(new CcmError(res.error.code, res.error.message, res.error.details));
      return;
    }
    const resultProblem = this.options.unsafeSkipChecks ? undefined : call.method.result.problem(res.result);
    if (resultProblem !== undefined) {
      this.reject('bad_rpc_result', envelope.from, `${call.method.name} result ${resultProblem}`);
      call.reject(new CcmError('internal', `${envelope.from} sent a malformed answer to ${call.method.name}`));
      return;
    }
    call.resolve(res.result);
  }

  private async receiveRequest(envelope: Envelope): Promise<void> {
    const from = envelope.from;
    const problem = this.options.unsafeSkipChecks ? undefined : requestCheck.problem(envelope.body);
    if (problem !== undefined) return this.reject('bad_body', from, `rpc-req ${problem}`);
    const req = envelope.body as RpcRequest;
    const reply = (body: RpcResponse): void => this.send({ kind: 'rpc-res', from: this.selfId, to: from, body });
    const refuse = (e: RefusedInput): void => {
      this.reject(e.reason, from, e.message);
      reply({ id: req.id, error: e.toBody().error });
    };
    const entry = this.handlers.get(req.method);
    if (!entry) return refuse(new RefusedInput('unknown_method', 'invalid_argument', `unknown peer method ${req.method}`));
    const paramsProblem = this.options.unsafeSkipChecks ? undefined : entry.method.params.problem(req.params);
    if (paramsProblem !== undefined) return refuse(new RefusedInput('bad_body', 'invalid_argument', `${req.method} params ${paramsProblem}`));
    const inFlight = this.inboundCalls.get(from) ?? 0;
    if (inFlight >= MAX_INBOUND_CALLS_PER_PEER) {
      return refuse(new RefusedInput('too_many_calls', 'resource_exhausted', `over ${MAX_INBOUND_CALLS_PER_PEER} calls from ${from} in flight`));
    }
    this.inboundCalls.set(from, inFlight + 1);
    try {
      const result = await entry.handler(req.params, from);
      reply({ id: req.id, result });
    } catch (err) {
      if (err instanceof RefusedInput) this.reject(err.reason, from, err.message);
      else if (!(err instanceof CcmError)) {
        this.reject('handler_error', from, `${req.method}: ${(err as Error)?.message ?? String(err)}`, err);
      }
      const e = err instanceof CcmError ? err : new CcmError('internal', `internal error in ${req.method} on ${this.selfId}`);
      try {
        reply({ id: req.id, error: e.toBody().error });
      } catch {
        reply({ id: req.id, error: { code: e.code, message: e.message } });
      }
    } finally {
      const n = (this.inboundCalls.get(from) ?? 1) - 1;
      if (n <= 0) this.inboundCalls.delete(from);
      else this.inboundCalls.set(from, n);
    }
  }

  private reject(reason: RejectionReason, source: string, detail: string, error?: unknown): void {
    this.options.onReject?.(reason, source, detail, error);
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
