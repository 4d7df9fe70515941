import fs from 'node:fs';
import { agentMetaOf, agentPeerAddress, resolveSeeds } from '../../cluster/agent-config.js';
import { readTokens } from '../../cluster/cluster-secrets.js';
import type { PeerAddress } from '../../net/tcp-transport.js';
import { coreViewFromGossip } from '../autopilot/core-gossip.js';
import type { CoreService } from '../core/core-service.js';
import type { GossipDriver } from '../gossip/gossip-driver.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/** How long a leaving voter may take to get itself out of the core (SIGTERM gives the process 3 s in all). */
const LEAVE_CORE_TIMEOUT_MS = 1200;

/**
 * An agent's membership (memberlist-style): it has no cluster file, so
 * - at start it asks a seed (`--join`, a gossip address) for the members and their addresses, then joins through
 *   them; a peer's address comes from its gossip record (host) and its `agent` meta (ports), so every node learns
 *   every other from gossip; one that cannot join within its timeout exits non-zero, saying why;
 * - a core agent forms the Raft core with `bootstrapExpect`: once that many core agents are alive in its view and no
 *   core exists yet, the first N by id are the voters (every agent sorts the same ids, so all pick the same N);
 * - on SIGTERM a voter takes itself out of the core before gossip says it left (Consul's leave).
 */
export class AgentMembership implements NodeSubsystem {
  private readonly known = new Map<string, PeerAddress>();
  private joinDeadline: NodeJS.Timeout | null = null;
  private bootstrapped = false;

  constructor(
    private readonly node: NodeRuntime,
    private readonly gossip: GossipDriver,
    private readonly core: CoreService,
  ) {
    gossip.admitUnknownPeer = (id, address, meta) => this.learn(id, address, meta);
    gossip.onMemberEvent((e) => {
      const m = gossip.swim.member(e.memberId);
      if (m && m.id !== node.config.id) this.learn(m.id, m.address, m.meta);
      this.maybeBootstrap();
    });
  }

  private get options(): NonNullable<NodeRuntime['config']['agent']> {
    return this.node.config.agent!;
  }

  /** Before the node listens: learn the members from a seed, so gossip's join has someone to push-pull with. */
  async start(): Promise<void> {
    if (this.options.join.length === 0) return;
    const tokens = readTokens(this.node.config.secrets);
    if (!tokens) throw new Error(`cannot read the agent's token in ${this.node.config.secrets.dir}`);
    const spec = { id: this.node.config.id, bind: this.node.config.host, basePort: this.node.config.ports.http, join: this.options.join };
    const ca = this.node.config.security.tls ? fs.readFileSync(this.node.config.secrets.caCert, 'utf8') : undefined;
    const view = await resolveSeeds(spec, tokens.client, this.options.joinTimeoutMs, ca);
    for (const m of view.members) if (m.peer && m.id !== this.node.config.id && m.state !== 'left') this.known.set(m.id, m.peer);
    this.node.updatePeers([...this.known.values()]);
    this.node.log.event('agent-seed-answered', `seed ${view.seed} (${view.node}) named ${this.known.size} agent${this.known.size === 1 ? '' : 's'}: ${[...this.known.keys()].join(', ')}`, {
      seed: view.seed,
      members: [...this.known.keys()],
    });
  }

  afterListen(): void {
    this.maybeBootstrap();
    if (this.options.join.length === 0) return;
    this.joinDeadline = setTimeout(() => {
      if (this.gossip.statsView().isJoined) return;
      const auth = this.node.peerAuth.view();
      const why = auth.refusedBy.length > 0 ? `${auth.refusedBy.join(', ')} refused its hello: this agent's cluster key is not the cluster's` : 'no seed answered a join';
      this.node.requestExit(1, `could not join the cluster through ${this.options.join.join(', ')} within ${this.options.joinTimeoutMs / 1000} s: ${why}`);
    }, this.options.joinTimeoutMs);
    this.joinDeadline.unref();
  }

  /** Graceful leave: out of the core first (if a voter, and the rest keep a quorum), then gossip's leave. */
  async stop(): Promise<void> {
    if (this.joinDeadline) clearTimeout(this.joinDeadline);
    const replica = this.core.replica();
    if (!replica) return;
    const self = this.node.config.id;
    const conf = replica.raft.status().confState;
    if (!conf.voters.includes(self) || conf.voters.length < 2) return;
    try {
      const after = await this.core.changeMembership({ type: 'remove-node', nodeId: self }, { deadline: Date.now() + LEAVE_CORE_TIMEOUT_MS, hops: 0 });
      this.node.log.event('agent-left-core', `${self} left the core: voters now ${after.voters.join(',')}`, { voters: after.voters });
    } catch (err) {
      this.node.log.warn(`could not leave the core before stopping: ${(err as Error).message}`);
    }
  }

  /** A member's address, learnt from gossip (its record and agent meta); returns its gossip address if it is an agent. */
  private learn(id: string, address: string, meta: unknown): string | undefined {
    if (id === this.node.config.id) return undefined;
    const peer = agentPeerAddress(id, address, meta);
    if (!peer) return undefined;
    const old = this.known.get(id);
    if (!old || old.host !== peer.host || old.peerPort !== peer.peerPort || old.gossipPort !== peer.gossipPort) {
      this.known.set(id, peer);
      this.node.updatePeers([...this.known.values()]);
    }
    return `${peer.host}:${peer.gossipPort}`;
  }

  /**
   * bootstrap-expect: the first `bootstrapExpect` core agents alive in this view (by id) become the voters, once there
   * are that many and no voter is seen yet. An agent that is not among them stays a member (autopilot may promote it).
   */
  private maybeBootstrap(): void {
    const { isCore, bootstrapExpect } = this.options;
    if (this.bootstrapped || !isCore || bootstrapExpect === 0 || this.core.driver) return;
    if (coreViewFromGossip(this.gossip).voters.length > 0) return;
    const candidates = this.gossip
      .members()
      .filter((m) => (m.state === 'alive' || m.id === this.node.config.id) && agentMetaOf(m.meta)?.core === true)
      .map((m) => m.id)
      .sort();
    if (candidates.length < bootstrapExpect) return;
    const voters = candidates.slice(0, bootstrapExpect);
    this.bootstrapped = true;
    this.node.config.core = voters;
    this.node.log.event('agent-core-bootstrap', `${bootstrapExpect} core agents are alive: the core forms with voters ${voters.join(', ')}`, { voters });
    if (voters.includes(this.node.config.id)) this.core.startReplica(`bootstrap-expect ${bootstrapExpect}`);
  }
}
