import { CcmError } from '../errors/ccm-error.js';
import type { Command } from '../core/commands.js';
import type { Clock } from '../time/clock.js';
import type { Scheduler } from '../time/scheduler.js';
import type { CallOptions, CorePort, CoreRead, ReadResultOf, ServiceContext, WatchHandlers, WatchSpec, WriteResult } from '../services/core-port.js';

export interface EtcdCoreOptions {
  /** etcd client URLs (http://host:port) or host:port. */
  endpoints: string[];
  nodeId: string;
  clock: Clock;
  scheduler: Scheduler;
  random?: () => number;
  auth?: { username: string; password: string };
}

/** One etcd member as `ccm status` and `ccm top` show it (MemberList, and Maintenance Status asked of the member itself). */
export interface EtcdMemberStatus {
  name: string;
  id: string;
  endpoint: string;
  healthy: boolean;
  leader: boolean;
  raftIndex: number;
  raftTerm: number;
  dbSizeBytes: number;
  version: string;
  error?: string;
}

/** The core port on a real etcd cluster (skeleton: filled in by the next commits). */
export class EtcdCore implements CorePort {
  constructor(private readonly opts: EtcdCoreOptions) {}

  async start(): Promise<void> {
    throw new CcmError('unavailable', `etcd at ${this.opts.endpoints.join(', ')}: not implemented yet`);
  }

  async stop(): Promise<void> {}

  serviceContext(): ServiceContext {
    return { core: this, clock: this.opts.clock, scheduler: this.opts.scheduler, nodeId: this.opts.nodeId, random: this.opts.random ?? Math.random };
  }

  async members(_deadlineMs = 2000): Promise<EtcdMemberStatus[]> {
    throw new CcmError('unavailable', 'not implemented yet');
  }

  async write<C extends Command>(command: C, _opts: CallOptions): Promise<WriteResult<C>> {
    throw new CcmError('internal', `${command.op}: not implemented yet`);
  }

  async read<R extends CoreRead>(read: R, _serializable: boolean, _opts: CallOptions): Promise<ReadResultOf<R>> {
    throw new CcmError('internal', `${read.kind}: not implemented yet`);
  }

  subscribe(_spec: WatchSpec, handlers: WatchHandlers): () => void {
    handlers.onError(new CcmError('internal', 'not implemented yet'));
    return () => undefined;
  }
}
