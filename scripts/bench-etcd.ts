/**
 * A real etcd cluster for the side-by-side bench: 3 members of Debian's etcd-server (/usr/bin/etcd) on loopback,
 * with default settings, data in a temp dir. Every member is killed and the dir removed by stop(), on Ctrl-C, and
 * when this process exits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allocatePorts } from '../src/cluster/port-allocator.js';

export const ETCD_BINARY = '/usr/bin/etcd';

/** The installed etcd's version ("3.4.23"), or null when there is none. */
export function etcdVersion(): string | null {
  if (!fs.existsSync(ETCD_BINARY)) return null;
  try {
    return execFileSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' }).match(/etcd Version: (\S+)/)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  process: ChildProcess | null;
  args: string[];
}

export interface EtcdCluster {
  members: EtcdMember[];
  endpoints: string[];
  pids(): number[];
  /** SIGKILL, as `ccm node kill`. */
  kill(name: string): void;
  /** Starts a killed member again with its data. */
  restart(name: string): void;
  stop(): Promise<void>;
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

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  if (!isExitHooked) {
    isExitHooked = true;
    process.once('exit', killAll);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-bench-etcd-'));
  const ports = await allocatePorts('127.0.0.1', size);
  const names = ports.map((_, i) => `m${i + 1}`);
  const peer = (i: number): string => `http://127.0.0.1:${ports[i].peer}`;
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i].http}`;
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
    ];
    return { name, clientUrl, process: null, args };
  });
  const launch = (m: EtcdMember): void => {
    const p = spawn(ETCD_BINARY, m.args, { stdio: 'ignore' });
    live.add(p);
    p.once('exit', () => live.delete(p));
    m.process = p;
  };
  members.forEach(launch);
  const byName = (name: string): EtcdMember => members.find((m) => m.name === name)!;
  // Ctrl-C: the members go at once; the process exits here unless another handler (the ccm cluster's) will.
  const onInterrupt = (): void => {
    killAll();
    fs.rmSync(home, { recursive: true, force: true });
    if (process.listenerCount('SIGINT') === 0) process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    pids: () => members.map((m) => m.process?.pid).filter((p): p is number => p !== undefined && p !== null),
    kill(name) {
      const m = byName(name);
      m.process?.kill('SIGKILL');
      m.process = null;
    },
    restart(name) {
      launch(byName(name));
    },
    async stop() {
      process.off('SIGINT', onInterrupt);
      const exits = members.map((m) => (m.process && m.process.exitCode === null ? new Promise((r) => m.process!.once('exit', r)) : Promise.resolve()));
      for (const m of members) m.process?.kill('SIGKILL');
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000))]);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
