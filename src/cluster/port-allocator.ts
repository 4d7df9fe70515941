import dgram from 'node:dgram';
import net from 'node:net';
import { CcmError } from '../errors/ccm-error.js';
import type { NodePorts } from './cluster-file.js';

/** Whether `port` can be bound on `host` for TCP (and for UDP when `udp` is set) right now. */
export async function isPortFree(host: string, port: number, udp = false): Promise<boolean> {
  const tcpFree = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!tcpFree || !udp) return tcpFree;
  return new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

// Below the kernel's ephemeral range (32768-60999), so outgoing connections never take a node's port.
const RANDOM_RANGE_START = 10_000;
const RANDOM_RANGE_END = 32_700;

/** Ports per node: HTTP, peer (TCP), gossip (UDP), etcd (gRPC), consecutive. */
const PORTS_PER_NODE = 4;

/**
 * Chooses four free ports per node. With `basePort`, node i gets basePort+4i .. +3 exactly, and a taken port is
 * an error naming it; without, ports are drawn at random and checked (kernel ephemeral ports start at 32768,
 * and random ports stay below it; each is checked).
 */
export async function allocatePorts(host: string, count: number, options: { basePort?: number; avoid?: Set<number> } = {}): Promise<NodePorts[]> {
  const avoid = new Set(options.avoid ?? []);
  const result: NodePorts[] = [];
  if (options.basePort !== undefined) {
    const base = options.basePort;
    if (!Number.isInteger(base) || base < 1024 || base + count * PORTS_PER_NODE - 1 > 65535) {
      throw new CcmError('invalid_argument', `--base-port ${base} must leave room for ${count * PORTS_PER_NODE} ports within 1024..65535`);
    }
    for (let i = 0; i < count; i++) {
      const at = base + PORTS_PER_NODE * i;
      const ports = { http: at, peer: at + 1, gossip: at + 2, etcd: at + 3 };
      for (const [kind, port] of Object.entries(ports)) {
        if (avoid.has(port) || !(await isPortFree(host, port, kind === 'gossip'))) {
          throw new CcmError('invalid_argument', `port ${port} on ${host} is already in use (needed for node n${i + 1} ${kind})`);
        }
      }
      result.push(ports);
    }
    return result;
  }
  let attempts = 0;
  while (result.length < count) {
    if (++attempts > count * 50) throw new CcmError('unavailable', `could not find ${count * PORTS_PER_NODE} free ports on ${host}`);
    // Consecutive ports per node keep `ss -lnp` readable.
    const start = RANDOM_RANGE_START + Math.floor(Math.random() * (RANDOM_RANGE_END - RANDOM_RANGE_START) / PORTS_PER_NODE) * PORTS_PER_NODE;
    const candidate = { http: start, peer: start + 1, gossip: start + 2, etcd: start + 3 };
    const all = [candidate.http, candidate.peer, candidate.gossip, candidate.etcd];
    if (all.some((p) => avoid.has(p))) continue;
    const free = await Promise.all([isPortFree(host, candidate.http), isPortFree(host, candidate.peer), isPortFree(host, candidate.gossip, true), isPortFree(host, candidate.etcd)]);
    if (!free.every(Boolean)) continue;
    for (const p of all) avoid.add(p);
    result.push(candidate);
  }
  return result;
}
