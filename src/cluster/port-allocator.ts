import dgram from 'node:dgram';
import net from 'node:net';
import { CcmError } from '../client/api-errors.js';
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

/**
 * Chooses three free ports per node. With `basePort`, node i gets basePort+3i .. +2 exactly, and a taken port is
 * an error naming it; without, ports are drawn at random and checked (kernel ephemeral ports start at 32768,
 * and random ports stay below it; each is checked).
 */
export async function allocatePorts(host: string, count: number, options: { basePort?: number; avoid?: Set<number> } = {}): Promise<NodePorts[]> {
  const avoid = new Set(options.avoid ?? []);
  const result: NodePorts[] = [];
  if (options.basePort !== undefined) {
    const base = options.basePort;
    if (!Number.isInteger(base) || base < 1024 || base + count * 3 - 1 > 65535) {
      throw new CcmError('invalid_argument', `--base-port ${base} must leave room for ${count * 3} ports within 1024..65535`);
    }
    for (let i = 0; i < count; i++) {
      const ports = { http: base + 3 * i, peer: base + 3 * i + 1, gossip: base + 3 * i + 2 };
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
    if (++attempts > count * 50) throw new CcmError('unavailable', `could not find ${count * 3} free ports on ${host}`);
    // Three consecutive ports per node keep `ss -lnp` readable.
    const start = RANDOM_RANGE_START + Math.floor(Math.random() * (RANDOM_RANGE_END - RANDOM_RANGE_START) / 3) * 3;
    const candidate = { http: start, peer: start + 1, gossip: start + 2 };
    if ([candidate.http, candidate.peer, candidate.gossip].some((p) => avoid.has(p))) continue;
    const free = await Promise.all([isPortFree(host, candidate.http), isPortFree(host, candidate.peer), isPortFree(host, candidate.gossip, true)]);
    if (!free.every(Boolean)) continue;
    for (const p of [candidate.http, candidate.peer, candidate.gossip]) avoid.add(p);
    result.push(candidate);
  }
  return result;
}
