/**
 * A local etcd cluster: N members of Debian's etcd-server (/usr/bin/etcd) on loopback, on free ports, with their
 * data in a temporary directory (or one given). For `ccm up --core etcd`, the bench beside ccm, and the conformance
 * tests. stop() kills every member and removes a temporary directory; members still running when this process exits
 * are killed too, so nothing is left behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';

export const ETCD_BINARY = '/usr/bin/etcd';

/** The installed etcd's version ("3.4.23"), or null when there is none. */
export function etcdVersion(binary = ETCD_BINARY): string | null {
  if (!fs.existsSync(binary)) return null;
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).match(/etcd Version: (\S+)/)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

/** Why no local etcd can run here (null: it can): for a clear error and for tests that skip. */
export function etcdMissingReason(binary = ETCD_BINARY): string | null {
  return etcdVersion(binary) === null ? `${binary} is missing: install Debian's etcd-server package (apt-get install etcd-server)` : null;
}

export interface LocalEtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  process: ChildProcess | null;
  args: string[];
}

export interface LocalEtcdCluster {
  members: LocalEtcdMember[];
  /** Client URLs, one per member. */
  endpoints: string[];
  dataDir: string;
  pids(): number[];
  /** SIGKILL, as `ccm node kill`. */
  kill(name: string): void;
  /** SIGSTOP / SIGCONT: a paused process (Jepsen's pause nemesis). */
  pause(name: string): void;
  resume(name: string): void;
  /** Starts a killed member again with its data. */
  restart(name: string): void;
  stop(): Promise<void>;
}

export interface LocalEtcdOptions {
  size?: number;
  /** Data directory (kept by stop()); default a temporary one (removed by stop()). */
  dataDir?: string;
  host?: string;
  binary?: string;
  /** Extra flags for every member (e.g. ['--heartbeat-interval', '50']). */
  extraArgs?: string[];
}

const live = new Set<ChildProcess>();
let isExitHooked = false;

function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  live.clear();
}

// Below the kernel's ephemeral range (32768-60999), as cluster/port-allocator: outgoing connections never take them.
const PORT_RANGE_START = 10_000;
const PORT_RANGE_END = 32_700;

function isTcpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `count` pairs of consecutive free ports (client, peer), drawn at random and checked. */
async function freePortPairs(host: string, count: number): Promise<{ client: number; peer: number }[]> {
  const taken = new Set<number>();
  const pairs: { client: number; peer: number }[] = [];
  for (let attempts = 0; pairs.length < count; attempts++) {
    if (attempts > count * 50) throw new CcmError('unavailable', `could not find ${count * 2} free ports on ${host} for etcd`);
    const client = PORT_RANGE_START + 2 * Math.floor((Math.random() * (PORT_RANGE_END - PORT_RANGE_START)) / 2);
    if (taken.has(client) || taken.has(client + 1)) continue;
    if (!(await isTcpPortFree(host, client)) || !(await isTcpPortFree(host, client + 1))) continue;
    taken.add(client).add(client + 1);
    pairs.push({ client, peer: client + 1 });
  }
  return pairs;
}

/** Starts the members (it does not wait for them to serve: a client's start() does that). */
export async function startLocalEtcd(options: LocalEtcdOptions = {}): Promise<LocalEtcdCluster> {
  const binary = options.binary ?? ETCD_BINARY;
  const missing = etcdMissingReason(binary);
  if (missing) throw new CcmError('failed_precondition', missing);
  const size = options.size ?? 3;
  const host = options.host ?? '127.0.0.1';
  if (!isExitHooked) {
    isExitHooked = true;
    process.once('exit', killAll);
  }
  const isTemporary = options.dataDir === undefined;
  const home = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-etcd-'));
  fs.mkdirSync(home, { recursive: true });
  const ports = await freePortPairs(host, size);
  const names = ports.map((_, i) => `e${i + 1}`);
  const peer = (i: number): string => `http://${host}:${ports[i].peer}`;
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const members: LocalEtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://${host}:${ports[i].client}`;
    // prettier-ignore
    const args = [
      '--name', name,
      '--data-dir', path.join(home, name),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peer(i),
      '--initial-advertise-peer-urls', peer(i),
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', path.basename(home),
      '--logger', 'zap',
      '--log-outputs', path.join(home, `${name}.log`),
      ...(options.extraArgs ?? []),
    ];
    return { name, clientUrl, peerUrl: peer(i), process: null, args };
  });
  const launch = (m: LocalEtcdMember): void => {
    const p = spawn(binary, m.args, { stdio: 'ignore' });
    live.add(p);
    p.once('exit', () => live.delete(p));
    p.once('error', () => live.delete(p));
    m.process = p;
  };
  members.forEach(launch);
  const byName = (name: string): LocalEtcdMember => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new CcmError('not_found', `no etcd member ${name} (members: ${names.join(', ')})`);
    return m;
  };
  const signal = (name: string, sig: NodeJS.Signals): void => {
    const p = byName(name).process;
    if (p && p.exitCode === null) p.kill(sig);
  };
  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    dataDir: home,
    pids: () => members.map((m) => m.process?.pid).filter((p): p is number => p !== undefined && p !== null),
    kill(name) {
      signal(name, 'SIGKILL');
      byName(name).process = null;
    },
    pause: (name) => signal(name, 'SIGSTOP'),
    resume: (name) => signal(name, 'SIGCONT'),
    restart(name) {
      const m = byName(name);
      if (m.process && m.process.exitCode === null) return;
      launch(m);
    },
    async stop() {
      const running = members.map((m) => m.process).filter((p): p is ChildProcess => p !== null && p.exitCode === null && p.signalCode === null);
      const exits = running.map((p) => new Promise((r) => p.once('exit', r)));
      for (const p of running) {
        p.kill('SIGCONT');
        p.kill('SIGKILL');
      }
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000).unref())]);
      for (const m of members) m.process = null;
      if (isTemporary) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
