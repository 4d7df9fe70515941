import type { CorePort, ServiceContext } from '../../services/core-port.js';
import type { RaftDriver } from '../raft/raft-driver.js';
import type { WatchHub } from '../watch/watch-hub.js';

/**
 * The consistent core as a node's routes and parts use it, whichever backend runs it: the nodes' own Raft core
 * (CoreService) or an etcd cluster (EtcdNodeCore). The services' routes, the config mirror and the service checks
 * need only this; the Raft-only parts (core membership, snapshots, autopilot, lock statistics from the apply stream,
 * the node's own etcd API) take the CoreService itself.
 */
export interface NodeCore extends CorePort {
  /** What the services on this node run with: this core, the node's clock, the machine's timers. */
  serviceContext(): ServiceContext;
  /** Which node leads the core, as far as this node knows (null: unknown, or the core is not one of the nodes). */
  knownLeader(): string | null;
  /** The watch hub of this node's own replica, if it has one (an idle watch stream's progress reads its revision). */
  readonly feed: { readonly hub: WatchHub | null };
  /** This node's Raft replica, if it runs one (never on etcd). */
  readonly driver: RaftDriver | null;
}
