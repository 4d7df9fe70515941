import type { ClusterEvent, ClusterStatus, LockStatsView, LockView, WatchListView } from '../api/api-types.js';
import { addFault, healAll } from '../chaos/chaos-control.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { clientForCluster } from '../cluster/cluster-client.js';
import { readClusterFile } from '../cluster/cluster-file.js';
import { requestJson } from '../client/http-json.js';
import { clusterStatus } from '../cluster/cluster-status.js';
import { EventTimeline } from '../cluster/event-timeline.js';
import { nodeAction } from '../cluster/launcher.js';
import type { ConfigVersionRow, DashboardSnapshot, ElectionRow, LeaseRow, NodeDetail, ServiceRow, WatchRow } from './dashboard-snapshot.js';
import type { PanelId } from './panel-ids.js';
import type { DashboardCommand } from './status-model.js';

/**
 * Where the live view's data comes from. What exists today is gathered here (cluster status, the merged event
 * timeline); what other parts of ccm will provide plugs in through `DashboardHooks`.
 */

/**
 * Optional sources for the panels beyond the status. Each gets this poll's status (to
 * pick a node to ask: the Raft leader's `ports.http`, or any responding node) and returns rows; when a hook
 * is absent its panel says "(no … source yet)", when it throws the panel shows the error and the rest of
 * the view carries on.
 */
export interface DashboardHooks {
  /** HOOK (leases): the leases held now, with what is left of each TTL at the time of the call. */
  fetchLeases?: (status: ClusterStatus) => Promise<LeaseRow[]>;
  /**
   * HOOK (config): the config version each node has applied. When absent, the panel uses the versions nodes
   * publish in their gossip meta (`meta.configVersion`, through `fetchNodeDetails`), if any do.
   */
  fetchConfigVersions?: (status: ClusterStatus) => Promise<ConfigVersionRow[]>;
  /** Per-node details from each node's gossip view: phi, health verdict, config version. */
  fetchNodeDetails?: (status: ClusterStatus) => Promise<Record<string, NodeDetail>>;
  /** Service instances with their health (the services panel). */
  fetchServices?: (status: ClusterStatus) => Promise<ServiceRow[]>;
  /** Elections, their leaders and candidates (the elections panel). */
  fetchElections?: (status: ClusterStatus) => Promise<ElectionRow[]>;
  /** Client watch streams open on the nodes (the watches panel). */
  fetchWatches?: (status: ClusterStatus) => Promise<WatchRow[]>;
}

/** The services panel looks up at most this many services per poll (each is one request). */
const MAX_SERVICES_LOOKED_UP = 8;

/** How long the view waits for one node's answer in a poll. */
const NODE_ANSWER_TIMEOUT_MS = 800;

/**
 * The hooks `ccm top` runs with: node details from each node's GET /v1/members, and the leases from the lease
 * manager (GET /v1/locks through the leader). Config versions come from the nodes' gossip meta.
 */
export function defaultDashboardHooks(paths: ClusterPaths): DashboardHooks {
  // One client for the whole view, so it keeps knowing the leader from poll to poll.
  const { client, file } = clientForCluster(paths, { timeoutMs: NODE_ANSWER_TIMEOUT_MS });
  return {
    fetchNodeDetails: async (status) => fetchMemberDetails(file.host, status),
    fetchLeases: async () => {
      const locks = (await client.locks()).locks;
      // the utilization figures are a bonus: the panel still shows the locks without them
      const stats = locks.length > 0 ? await client.lockStats(undefined, { timeoutMs: NODE_ANSWER_TIMEOUT_MS }).catch(() => null) : null;
      return leaseRows(locks, stats?.resources ?? []);
    },
    fetchServices: async () => {
      const { services } = await client.listServices();
      const lookups = await Promise.all(services.slice(0, MAX_SERVICES_LOOKED_UP).map((s) => client.lookupService(s.service, { all: true })));
      return lookups.flatMap((l) => l.instances.map((i) => ({ service: l.service, id: i.id, address: `${i.address}:${i.port}`, status: i.status, node: i.node })));
    },
    fetchElections: async () =>
      (await client.elections()).elections.map((e) => ({
        election: e.election,
        leader: e.leader?.id ?? null,
        token: e.leader?.token ?? null,
        ttlLeftMs: e.leader ? (e.leader.ttlLeftMs ?? e.leader.ttlMs) : null,
        candidates: e.candidates.map((c) => c.id),
      })),
    fetchWatches: async (status) => fetchWatchRows(file.host, status),
  };
}

/** Every responding node's open watch streams (GET /v1/watches); a node that does not answer is left out. */
export async function fetchWatchRows(host: string, status: ClusterStatus): Promise<WatchRow[]> {
  const rows: WatchRow[] = [];
  await Promise.allSettled(
    status.nodes
      .filter((n) => n.state === 'running' && n.responding)
      .map(async (n) => {
        const body = await requestJson<WatchListView>({ host: n.host ?? host, port: n.ports.http }, 'GET', '/v1/watches', undefined, { timeoutMs: NODE_ANSWER_TIMEOUT_MS });
        for (const w of Array.isArray(body?.watches) ? body.watches : []) {
          if (typeof w?.key !== 'string') continue;
          rows.push({ node: n.id, key: w.key, prefix: w.prefix === true, revision: Number(w.revision) || 0, events: Number(w.events) || 0, openedAtMs: Number(w.openedAtMs) || 0 });
        }
      }),
  );
  return rows;
}

/** The lease manager's locks as the lease panel's rows; a TTL left unknown to the leader shows as the full TTL. */
export function leaseRows(locks: LockView[], stats: LockStatsView[] = []): LeaseRow[] {
  return locks.map((l) => {
    const s = stats.find((x) => x.resource === l.resource);
    return { resource: l.resource, holder: l.holder, token: l.token, ttlMs: l.ttlMs, remainingMs: Math.max(0, l.ttlLeftMs ?? l.ttlMs), ...(s ? { heldFraction: s.heldFraction, grants: s.grants } : {}) };
  });
}

/** Asks every responding node for its membership view, side by side; a node that does not answer is left out. */
export async function fetchMemberDetails(host: string, status: ClusterStatus): Promise<Record<string, NodeDetail>> {
  const details: Record<string, NodeDetail> = {};
  await Promise.allSettled(
    status.nodes
      .filter((n) => n.state === 'running' && n.responding)
      .map(async (n) => {
        const body = await requestJson<unknown>({ host: n.host ?? host, port: n.ports.http }, 'GET', '/v1/members', undefined, { timeoutMs: NODE_ANSWER_TIMEOUT_MS });
        details[n.id] = parseMembersView(body, n.id);
      }),
  );
  return details;
}

/**
 * Reads what the view needs from a GET /v1/members body, tolerating absent or differently shaped fields
 * (the gossip API is young): `members[]` with `id`, `state`, `phi`, `isSelf`, `health.status`, `meta.configVersion`.
 */
export function parseMembersView(body: unknown, selfId: string): NodeDetail {
  const members = Array.isArray((body as { members?: unknown })?.members) ? ((body as { members: unknown[] }).members as Record<string, unknown>[]) : [];
  const isSelf = (m: Record<string, unknown>): boolean => m.isSelf === true || m.id === selfId;
  const self = members.find(isSelf);
  const phis = members
    .filter((m) => !isSelf(m) && (m.state === 'alive' || m.state === 'suspect'))
    .map((m) => m.phi)
    .filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
  const health = (self?.health as { status?: unknown } | null | undefined)?.status;
  const configVersion = (self?.meta as { configVersion?: unknown } | undefined)?.configVersion;
  return {
    maxPhi: phis.length > 0 ? Math.max(...phis) : null,
    health: typeof health === 'string' ? health : null,
    configVersion: typeof configVersion === 'number' && Number.isFinite(configVersion) ? configVersion : null,
  };
}

export interface DashboardSourceOptions {
  hooks?: DashboardHooks;
  /** Probe reachability at most this often; polls in between carry the last matrix. @default 3000 */
  reachabilityEveryMs?: number;
  /** Events kept for the panel. @default 200 */
  eventWindow?: number;
  /** Wall clock. @default Date.now */
  now?: () => number;
  /** How status is read (tests replace it). @default clusterStatus */
  readStatus?: (paths: ClusterPaths, opts: { probeReachability: boolean }) => Promise<ClusterStatus>;
  /** Deadline for each hook. @default 2000 */
  hookTimeoutMs?: number;
}

/** What the poll hook calls: one snapshot per call. */
export interface SnapshotSource {
  /** `focus`: the panel shown, whose data alone is fetched of the panels' (absent: every panel's). */
  fetch(focus?: PanelId): Promise<DashboardSnapshot>;
}

export class DashboardSource implements SnapshotSource {
  private readonly timeline: EventTimeline;
  private readonly events: ClusterEvent[] = [];
  private hasReadTail = false;
  private reach: { matrix: ClusterStatus['reachability']; atMs: number } | null = null;
  /** The panels' data from when each was last shown (carried while another panel is, like the reachability matrix). */
  private readonly carried: Partial<Pick<DashboardSnapshot, 'services' | 'elections' | 'watches'>> = {};
  private readonly opts: Required<Omit<DashboardSourceOptions, 'hooks'>> & { hooks: DashboardHooks };

  constructor(
    private readonly paths: ClusterPaths,
    opts: DashboardSourceOptions = {},
  ) {
    this.opts = {
      hooks: opts.hooks ?? {},
      reachabilityEveryMs: opts.reachabilityEveryMs ?? 3000,
      eventWindow: opts.eventWindow ?? 200,
      now: opts.now ?? Date.now,
      readStatus: opts.readStatus ?? ((p, o) => clusterStatus(p, o)),
      hookTimeoutMs: opts.hookTimeoutMs ?? 2000,
    };
    this.timeline = new EventTimeline(paths);
  }

  /**
   * One poll. Throws only when the cluster's status cannot be read at all (cluster.json gone or corrupt);
   * a node that is down or silent is part of the answer, and a failing hook or event read is reported in
   * the snapshot.
   */
  async fetch(focus?: PanelId): Promise<DashboardSnapshot> {
    const wants = (panel: PanelId): boolean => focus === undefined || focus === panel;
    const startedAtMs = this.opts.now();
    const shouldProbe = this.reach === null || startedAtMs - this.reach.atMs >= this.opts.reachabilityEveryMs;
    const status = await this.opts.readStatus(this.paths, { probeReachability: shouldProbe });
    const fetchedAtMs = this.opts.now();
    if (shouldProbe) this.reach = { matrix: status.reachability, atMs: fetchedAtMs };
    const [leases, configVersions, details, services, elections, watches] = await Promise.all([
      this.runHook(this.opts.hooks.fetchLeases, status),
      this.runHook(this.opts.hooks.fetchConfigVersions, status),
      this.runHook(this.opts.hooks.fetchNodeDetails, status),
      this.runHook(wants('services') ? this.opts.hooks.fetchServices : undefined, status),
      this.runHook(wants('elections') ? this.opts.hooks.fetchElections : undefined, status),
      this.runHook(wants('watches') ? this.opts.hooks.fetchWatches : undefined, status),
    ]);
    this.readEvents();
    if (services.value !== undefined) this.carried.services = services.value;
    if (elections.value !== undefined) this.carried.elections = elections.value;
    if (watches.value !== undefined) this.carried.watches = watches.value;
    return {
      ...this.carried,
      status,
      reachability: this.reach?.matrix ?? null,
      reachabilityProbedAtMs: this.reach?.atMs ?? null,
      ...(leases.value !== undefined ? { leases: leases.value } : {}),
      ...(leases.error !== undefined ? { leasesError: leases.error } : {}),
      ...(configVersions.value !== undefined ? { configVersions: configVersions.value } : {}),
      ...(configVersions.error !== undefined ? { configVersionsError: configVersions.error } : {}),
      ...(details.value !== undefined ? { nodeDetails: details.value } : {}),
      ...(services.value !== undefined ? { services: services.value } : {}),
      ...(services.error !== undefined ? { servicesError: services.error } : {}),
      ...(elections.value !== undefined ? { elections: elections.value } : {}),
      ...(elections.error !== undefined ? { electionsError: elections.error } : {}),
      ...(watches.value !== undefined ? { watches: watches.value } : {}),
      ...(watches.error !== undefined ? { watchesError: watches.error } : {}),
      events: [...this.events],
      fetchedAtMs,
    };
  }

  private readEvents(): void {
    let fresh: ClusterEvent[];
    try {
      fresh = this.hasReadTail ? this.timeline.readNew() : this.timeline.readTail({}, this.opts.eventWindow).events;
      this.hasReadTail = true;
    } catch (err) {
      // An unreadable log is not a reason to lose the view; say it in the panel.
      fresh = [{ ts: this.opts.now(), source: 'ccm', type: 'events-unreadable', message: (err as Error).message }];
    }
    this.events.push(...fresh);
    if (this.events.length > this.opts.eventWindow) this.events.splice(0, this.events.length - this.opts.eventWindow);
  }

  private async runHook<T>(hook: ((s: ClusterStatus) => Promise<T>) | undefined, status: ClusterStatus): Promise<{ value?: T; error?: string }> {
    if (!hook) return {};
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.opts.hookTimeoutMs} ms`)), this.opts.hookTimeoutMs);
      });
      return { value: await Promise.race([hook(status), deadline]) };
    } catch (err) {
      return { error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs the view's commands; resolves with a line for the events panel, rejects with the reason it failed. */
export interface CommandRunner {
  run(command: DashboardCommand): Promise<string>;
}

/** The real thing: the same calls as `ccm node …` and `ccm chaos …`, so they log to events.log the same way. */
export class ClusterCommandRunner implements CommandRunner {
  constructor(private readonly paths: ClusterPaths) {}

  async run(c: DashboardCommand): Promise<string> {
    switch (c.kind) {
      case 'kill':
      case 'pause':
      case 'resume':
      case 'restart': {
        const r = await nodeAction(this.paths, c.nodeId, c.kind);
        const verb = { kill: 'killed', pause: 'paused', resume: 'resumed', restart: 'restarted' }[c.kind];
        return `${verb} ${r.id}: ${r.state}${r.pid ? ` (pid ${r.pid})` : ''}`;
      }
      case 'isolate': {
        const others = readClusterFile(this.paths)
          .nodes.map((n) => n.id)
          .filter((id) => id !== c.nodeId);
        const change = await addFault(this.paths, { kind: 'partition', groups: [[c.nodeId], others] });
        return `isolated ${c.nodeId}${change.pending.length ? ` (applies to ${change.pending.join(',')} when they start)` : ''}`;
      }
      case 'partition': {
        const change = await addFault(this.paths, { kind: 'partition', groups: c.groups });
        return `partitioned ${c.groups[0].join(',')} | ${c.groups[1].join(',')}${change.pending.length ? ` (applies to ${change.pending.join(',')} when they start)` : ''}`;
      }
      case 'one-way': {
        const change = await addFault(this.paths, { kind: 'one-way', from: c.from, to: c.to });
        return `one-way: ${c.from} cannot reach ${c.to}${change.pending.length ? ` (applies to ${change.pending.join(',')} when they start)` : ''}`;
      }
      case 'heal': {
        const r = await healAll(this.paths);
        return r.removed.length ? `healed: ${r.removed.join('; ')}` : 'heal: no faults were active';
      }
    }
  }
}
