import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SECURITY, DEFAULT_SETTINGS, type NodePorts } from '../../src/cluster/cluster-file.js';
import { ensureClusterSecrets, registerClusterCredentials, secretPaths } from '../../src/cluster/cluster-secrets.js';
import { clusterPaths } from '../../src/cluster/cluster-dir.js';
import { allocatePorts } from '../../src/cluster/port-allocator.js';
import { EventLog } from '../../src/node/event-log.js';
import { GossipDriver } from '../../src/node/gossip/gossip-driver.js';
import { HealthMonitor } from '../../src/node/health/health-monitor.js';
import type { NodeConfig } from '../../src/node/node-config.js';
import { NodeRuntime } from '../../src/node/node-runtime.js';

/**
 * Real node runtimes (UDP, TCP, HTTP, SQLite) in the test process, each with the gossip driver and health monitor and
 * nothing else: fast to start, and every object is at hand. Node event lines are kept per node instead of printed.
 * `ghosts` are nodes in every peer list that never start (their ports are free for a test to impersonate them).
 */
export class GossipHarness {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-gossip-'));
  readonly runtimes = new Map<string, NodeRuntime>();
  private readonly parts = new Map<string, { gossip: GossipDriver; health: HealthMonitor }>();
  readonly lines = new Map<string, string[]>();
  ports = new Map<string, NodePorts>();
  ids: string[] = [];

  async create(count: number, ghosts = 0): Promise<void> {
    const all = await allocatePorts('127.0.0.1', count + ghosts);
    this.ids = Array.from({ length: count + ghosts }, (_, i) => `n${i + 1}`);
    this.ids.forEach((id, i) => this.ports.set(id, all[i]));
    // The tokens the nodes ask for, registered so this process's requests carry them (as the CLI's do).
    ensureClusterSecrets(this.paths());
    registerClusterCredentials(this.paths(), '127.0.0.1', all.map((p) => p.http), false);
    // One at a time, a few ms apart, so joinedAtMs orders n1 < n2 < ... (the emergent-leader rule).
    for (const id of this.ids.slice(0, count)) {
      await this.start(id);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  config(id: string): NodeConfig {
    return {
      id,
      cluster: 'test',
      clusterDir: this.home,
      dataDir: path.join(this.home, 'nodes', id),
      host: '127.0.0.1',
      ports: this.ports.get(id)!,
      peers: this.ids.filter((p) => p !== id).map((p) => ({ id: p, host: '127.0.0.1', peerPort: this.ports.get(p)!.peer, gossipPort: this.ports.get(p)!.gossip })),
      nodePorts: Object.fromEntries(this.ids.map((p) => [p, this.ports.get(p)!])),
      core: this.ids.slice(0, 3),
      settings: { ...DEFAULT_SETTINGS },
      // Plain datagrams: these tests forge them to test gossip's own boundary (sealing is tested in test/net and test/cluster).
      security: { ...DEFAULT_SECURITY, peerEncryption: false },
      secrets: secretPaths(this.paths()),
      linkFilter: { peers: {} },
    };
  }

  paths(): ReturnType<typeof clusterPaths> {
    return clusterPaths(path.dirname(this.home), path.basename(this.home));
  }

  async start(id: string): Promise<NodeRuntime> {
    const rt = new NodeRuntime(this.config(id));
    const lines: string[] = [];
    this.lines.set(id, lines);
    (rt as unknown as { log: EventLog }).log = new EventLog(id, () => rt.clock.nowMs(), (line) => void lines.push(line));
    await rt.start((node) => {
      const gossip = new GossipDriver(node);
      const health = new HealthMonitor(node, gossip);
      this.parts.set(id, { gossip, health });
      return [gossip, health];
    });
    this.runtimes.set(id, rt);
    return rt;
  }

  async stop(id: string): Promise<void> {
    const rt = this.runtimes.get(id);
    this.runtimes.delete(id);
    await rt?.stop('test');
  }

  gossip(id: string): GossipDriver {
    return this.parts.get(id)!.gossip;
  }

  health(id: string): HealthMonitor {
    return this.parts.get(id)!.health;
  }

  running(): string[] {
    return [...this.runtimes.keys()];
  }

  /** The state `viewer` holds for `member`. */
  stateAt(viewer: string, member: string): string | undefined {
    return this.gossip(viewer).swim.member(member)?.state;
  }

  /** Events of a type logged by a node, parsed. */
  events(id: string, type: string): Record<string, unknown>[] {
    return (this.lines.get(id) ?? [])
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === true && e.type === type);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.running().map((id) => this.stop(id)));
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** Polls until `check` is true (deadline generous: the machine may be busy); throws naming what it waited for. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
