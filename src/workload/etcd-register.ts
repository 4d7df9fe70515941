/**
 * The `etcd` chaos workload: the register workload driven through ccm's etcd v3 API with an etcd client (one per
 * node, each client process pinned to one), checked the same way (linearizability, lost writes). An error is
 * recorded by what etcd's answer says about whether the write may have happened: "no leader" and "leader changed"
 * mean it did not (ccm answers them only for a proposal that never committed), a refused connection means it never
 * left; a timeout, a lost connection, anything else may or may not have.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { CcmError } from '../errors/ccm-error.js';
import type { EtcdClient } from '../etcd/etcd-client.js';
import type { RegisterTransport } from './register-workload.js';
import type { WorkloadContext } from './workload.js';

const UNAVAILABLE = 14;

/** An etcd error as the CcmError whose code carries the same certainty (see operation.ts). */
export function etcdErrorAsCcm(err: unknown): CcmError {
  const e = err as Partial<ServiceError>;
  if (typeof e?.code !== 'number') return new CcmError('timeout', (err as Error)?.message ?? String(err));
  const message = e.details ?? e.message ?? '';
  if (message.includes('etcdserver: no leader')) return new CcmError('no_leader', message);
  if (message.includes('etcdserver: leader changed')) return new CcmError('proposal_dropped', message);
  if (e.code === UNAVAILABLE && /ECONNREFUSED|No connection established/.test(message)) return new CcmError('unavailable', message, { notSent: true });
  switch (e.code) {
    case 3: // INVALID_ARGUMENT
      return new CcmError('invalid_argument', message);
    case 5: // NOT_FOUND
      return new CcmError('not_found', message);
    case 9: // FAILED_PRECONDITION
      return new CcmError('failed_precondition', message);
    case 11: // OUT_OF_RANGE (compacted, future revision)
      return new CcmError('compacted', message);
    default:
      return new CcmError('timeout', message);
  }
}

export class EtcdRegisterTransport implements RegisterTransport {
  readonly name = 'etcd';
  private clients: EtcdClient[] = [];

  async setup(ctx: WorkloadContext): Promise<void> {
    const endpoints = ctx.etcdEndpoints ?? [];
    if (endpoints.length === 0) {
      throw new CcmError('failed_precondition', "the etcd workload needs the nodes' etcd API ports, which this cluster's nodes do not have (a cluster made before ccm spoke etcd)");
    }
    const token = ctx.etcdToken;
    if (!token) throw new CcmError('failed_precondition', "the etcd workload needs the cluster's client token (secrets/client.token, readable by the cluster's owner only)");
    // Loaded here, not with the module: every `ccm chaos run` would otherwise load gRPC at start-up.
    const { EtcdClient } = await import('../etcd/etcd-client.js');
    this.clients = endpoints.map((e) => new EtcdClient(`${e.host}:${e.port}`, { token }));
  }

  async read(ctx: WorkloadContext, key: string, process: number | null, timeoutMs: number): Promise<string | null> {
    const r = await this.attempt(() => this.client(process).get(key, { timeoutMs }));
    return r.kv ? r.kv.value : null;
  }

  async write(ctx: WorkloadContext, key: string, value: string, process: number): Promise<{ revision: number }> {
    return this.attempt(() => this.client(process).put(key, value, { timeoutMs: ctx.opTimeoutMs }));
  }

  async cas(ctx: WorkloadContext, key: string, from: string | null, to: string, process: number): Promise<{ revision: number }> {
    const r = await this.attempt(() => this.client(process).putIf(key, from, to, { timeoutMs: ctx.opTimeoutMs }));
    if (!r.succeeded) throw new CcmError('failed_precondition', `compare failed on ${key}; nothing changed`);
    return { revision: r.revision };
  }

  close(): void {
    for (const c of this.clients) c.close();
    this.clients = [];
  }

  /** A process's node (the final reads, process null, go to each node in turn). */
  private client(process: number | null): EtcdClient {
    if (process === null) this.nextFinal = (this.nextFinal + 1) % this.clients.length;
    return this.clients[(process ?? this.nextFinal) % this.clients.length];
  }

  private nextFinal = 0;

  private async attempt<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw etcdErrorAsCcm(err);
    }
  }
}
