/**
 * A small etcd v3 client on grpc-js and the vendored protos: the calls a register needs (range, put, a one-compare
 * txn), each one attempt with a deadline, never retried (a chaos history must know what was sent once). It speaks to
 * any etcd v3 server, ccm's nodes or etcd itself. Errors are grpc-js ServiceErrors with etcd's messages.
 */
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { etcdServices } from './etcd-proto.js';

export interface EtcdKeyValue {
  key: string;
  value: string;
  modRevision: number;
  version: number;
}

interface KeyValueReply {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
  version: string;
}

const toKeyValue = (kv: KeyValueReply): EtcdKeyValue => ({ key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision), version: Number(kv.version) });

export class EtcdClient {
  private readonly kv: Client;
  private readonly metadata = new Metadata();

  /** `endpoint` is host:port; `token` goes in each call's metadata when the cluster requires one. */
  constructor(
    readonly endpoint: string,
    options: { token?: string } = {},
  ) {
    // Reconnect soon after a node comes back (grpc-js backs off up to 2 minutes by default).
    this.kv = new (etcdServices().KV)(endpoint, credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 });
    if (options.token) this.metadata.set('token', options.token);
  }

  async get(key: string, options: { serializable?: boolean; timeoutMs: number }): Promise<{ kv: EtcdKeyValue | null; revision: number }> {
    const r = await this.call<{ kvs: KeyValueReply[]; header: { revision: string } }>('Range', { key: Buffer.from(key), serializable: options.serializable === true }, options.timeoutMs);
    return { kv: r.kvs[0] ? toKeyValue(r.kvs[0]) : null, revision: Number(r.header.revision) };
  }

  async put(key: string, value: string, options: { timeoutMs: number }): Promise<{ revision: number }> {
    const r = await this.call<{ header: { revision: string } }>('Put', { key: Buffer.from(key), value: Buffer.from(value) }, options.timeoutMs);
    return { revision: Number(r.header.revision) };
  }

  /** Puts `value` if the key's value is `from` (null: if the key does not exist); says whether it did. */
  async putIf(key: string, from: string | null, value: string, options: { timeoutMs: number }): Promise<{ succeeded: boolean; revision: number }> {
    // Compare targets and results by number: CREATE = 1, VALUE = 3; EQUAL = 0.
    const compare = from === null ? { key: Buffer.from(key), target: 1, result: 0, create_revision: 0 } : { key: Buffer.from(key), target: 3, result: 0, value: Buffer.from(from) };
    const r = await this.call<{ succeeded: boolean; header: { revision: string } }>(
      'Txn',
      { compare: [compare], success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }], failure: [] },
      options.timeoutMs,
    );
    return { succeeded: r.succeeded, revision: Number(r.header.revision) };
  }

  close(): void {
    this.kv.close();
  }

  private call<T>(method: string, request: unknown, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fn = (this.kv as unknown as Record<string, (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: T) => void) => void>)[method];
      fn.call(this.kv, request, this.metadata, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
}
