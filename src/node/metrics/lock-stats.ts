/**
 * Lease utilization on a replica (src/services/lease-utilization.ts), fed by the apply stream: served at
 * GET /v1/lock-stats[?resource=] (the leader's figures are the ones `ccm lease inspect` shows), and on /metrics as
 * ccm_lock_* per resource (the 50 most active, to bound the label set).
 */
import { Counter, Gauge } from 'prom-client';
import type { NodeLockStatsView } from '../../api/api-types.js';
import { decodeCommand } from '../../core/command-schemas.js';
import { validateResource } from '../../core/commands.js';
import type { HttpServer } from '../../net/http-server.js';
import { LeaseUtilization } from '../../services/lease-utilization.js';
import type { NodeMetrics } from './metrics.js';
import type { NodeRuntime } from '../node-runtime.js';
import type { RaftDriver } from '../raft/raft-driver.js';

/** Resources given their own series on /metrics. */
const METRIC_RESOURCES_MAX = 50;

export const LOCK_METRIC_HELP = {
  ccm_lock_held_ratio: 'Share of the time a resource was held, since this replica first saw it used.',
  ccm_lock_grants_total: 'Grants of a resource (to an acquirer or, at hand-over, to the first waiter), as applied here.',
  ccm_lock_refusals_total: 'Acquires of a resource refused because it was held (without waiting).',
  ccm_lock_queue_depth: 'Waiters in line for a resource now.',
  ccm_lock_hold_seconds: 'How long a resource was held, grant to end (stat: mean or p99 of the latest holds).',
  ccm_lock_wait_seconds: 'How long an acquirer waited in line before the grant (stat: mean or p99; 0 for no wait).',
} as const;

/** Where the figures come from: the apply stream of this node's Raft replica, once it has one. */
export interface ReplicaSource {
  whenReplica(listener: (driver: RaftDriver) => void): void;
  replica(): RaftDriver | null;
}

/** A node whose core is etcd has no apply stream of its own: its lock statistics stay empty (isReplica false). */
export const NO_REPLICA: ReplicaSource = { whenReplica: () => undefined, replica: () => null };

export function registerLockStats(http: HttpServer, node: NodeRuntime, core: ReplicaSource, metrics: NodeMetrics): void {
  let tracker: LeaseUtilization | null = null;
  const attach = (driver: RaftDriver): void => {
    const mine = new LeaseUtilization(node.clock.nowMs());
    tracker = mine;
    driver.onApply((applied, entry) => {
      const r = applied.result;
      let requester: string | undefined;
      if (r.op === 'acquire' && !r.granted && !r.queued) {
        // An entry that is not a command we can read: the refusal is still counted.
        const command = decodeCommand(entry.data);
        if ('op' in command && command.op === 'acquire') requester = command.holder;
      }
      if (r.op === 'acquire' || r.op === 'release' || r.op === 'lease-expire' || r.op === 'lease-revoke' || applied.effects.events.length > 0) {
        mine.observe(r, applied.effects.events, node.clock.nowMs(), node.clock.monotonicMs(), requester);
      }
    });
  };
  core.whenReplica(attach);

  const view = (resource?: string): NodeLockStatsView => {
    const t = tracker as LeaseUtilization | null;
    return {
      node: node.config.id,
      isReplica: t !== null,
      isLeader: core.replica()?.isLeader() ?? false,
      sinceMs: t?.sinceMs ?? 0,
      resources: t ? t.view(node.clock.monotonicMs(), resource) : [],
    };
  };
  http.route('GET', '/v1/lock-stats', ({ query }) => {
    const resource = query.get('resource');
    return view(resource === null ? undefined : validateResource(resource));
  });

  const registry = metrics.registry;
  const top = () => view().resources.slice(0, METRIC_RESOURCES_MAX);
  new Gauge({
    name: 'ccm_lock_held_ratio',
    help: LOCK_METRIC_HELP.ccm_lock_held_ratio,
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of top()) this.set({ resource: r.resource }, r.heldFraction);
    },
  });
  for (const [name, pick] of [
    ['ccm_lock_grants_total', (r: { grants: number }) => r.grants],
    ['ccm_lock_refusals_total', (r: { refusals: number }) => r.refusals],
  ] as const) {
    new Counter({
      name,
      help: LOCK_METRIC_HELP[name],
      labelNames: ['resource'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of top()) this.inc({ resource: r.resource }, pick(r));
      },
    });
  }
  new Gauge({
    name: 'ccm_lock_queue_depth',
    help: LOCK_METRIC_HELP.ccm_lock_queue_depth,
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of top()) this.set({ resource: r.resource }, r.queueDepth);
    },
  });
  for (const [name, part] of [
    ['ccm_lock_hold_seconds', 'hold'],
    ['ccm_lock_wait_seconds', 'wait'],
  ] as const) {
    new Gauge({
      name,
      help: LOCK_METRIC_HELP[name],
      labelNames: ['resource', 'stat'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of top()) {
          const s = r[part];
          if (s.meanMs !== null) this.set({ resource: r.resource, stat: 'mean' }, s.meanMs / 1000);
          if (s.p99Ms !== null) this.set({ resource: r.resource, stat: 'p99' }, s.p99Ms / 1000);
        }
      },
    });
  }
}
