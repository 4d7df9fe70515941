import { loadEtcdAccess, type EtcdConnection } from '../../cluster/cluster-secrets.js';
import type { Command } from '../../core/commands.js';
import { EtcdCore, type EtcdMemberStatus } from '../../etcd-core/etcd-core.js';
import type { CallOptions, CoreRead, ReadResultOf, ServiceContext, WatchHandlers, WatchSpec, WriteResult } from '../../services/core-port.js';
import { systemScheduler } from '../../time/scheduler.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';
import type { NodeCore } from './node-core.js';

/**
 * The core of a node whose services run on etcd (`ccm up --core etcd`, `--etcd-endpoints`): the port's etcd
 * implementation (etcd-core/), started and stopped with the node. The node runs no Raft replica; which etcd member
 * leads is etcd's business (`ccm status` shows the members), so no node is named leader.
 */
export class EtcdNodeCore implements NodeCore, NodeSubsystem {
  readonly etcd: EtcdCore;
  readonly feed = { hub: null };
  readonly driver = null;

  readonly endpoints: string[];

  constructor(node: NodeRuntime, connection: EtcdConnection) {
    this.endpoints = connection.endpoints;
    // The password and keys from their files in secrets/etcd/ (never in argv or cluster.json).
    const access = loadEtcdAccess(connection);
    this.etcd = new EtcdCore({ endpoints: this.endpoints, nodeId: node.config.id, clock: node.clock, scheduler: systemScheduler, random: () => node.random.next(), ...access });
  }

  async start(): Promise<void> {
    await this.etcd.start();
  }

  async stop(): Promise<void> {
    await this.etcd.stop();
  }

  status(): { kind: 'member' } {
    return { kind: 'member' };
  }

  write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    return this.etcd.write(command, opts);
  }

  read<R extends CoreRead>(read: R, serializable: boolean, opts: CallOptions): Promise<ReadResultOf<R>> {
    return this.etcd.read(read, serializable, opts);
  }

  subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void {
    return this.etcd.subscribe(spec, handlers);
  }

  serviceContext(): ServiceContext {
    return this.etcd.serviceContext();
  }

  knownLeader(): null {
    return null;
  }

  members(deadlineMs?: number): Promise<EtcdMemberStatus[]> {
    return this.etcd.members(deadlineMs);
  }
}
