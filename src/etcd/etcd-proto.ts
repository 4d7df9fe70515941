/**
 * etcd's v3 services as gRPC definitions, from the protos vendored in proto/etcd/ (loaded once per process). The
 * options are the ones every handler here reads requests with: snake_case fields, int64 as decimal text (they do
 * not fit a JavaScript number), enums as numbers, every field present, a oneof's chosen member named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

export const PROTO_LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true };

export const ETCD_SERVICE_NAMES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'] as const;
export type EtcdServiceName = (typeof ETCD_SERVICE_NAMES)[number];

/**
 * proto/etcd/ beside the package: found by walking up from this module, which runs from dist/src/etcd/ (the CLI,
 * tests) or from the bundled dist/node-main.js (a node).
 */
export function etcdProtoDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'proto', 'etcd');
    if (fs.existsSync(path.join(candidate, 'rpc.proto'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`etcd's protos (proto/etcd/rpc.proto) were not found above ${fileURLToPath(import.meta.url)}`);
}

let loaded: Record<EtcdServiceName, ServiceClientConstructor> | null = null;

/** Each service's client constructor; its `.service` is the definition a server adds. */
export function etcdServices(): Record<EtcdServiceName, ServiceClientConstructor> {
  if (loaded) return loaded;
  const definition = loadSync(path.join(etcdProtoDir(), 'rpc.proto'), PROTO_LOADER_OPTIONS);
  const pkg = (loadPackageDefinition(definition) as GrpcObject).etcdserverpb as GrpcObject;
  loaded = Object.fromEntries(ETCD_SERVICE_NAMES.map((name) => [name, pkg[name] as ServiceClientConstructor])) as Record<EtcdServiceName, ServiceClientConstructor>;
  return loaded;
}

export function etcdServiceDefinition(name: EtcdServiceName): ServiceDefinition {
  return etcdServices()[name].service;
}
