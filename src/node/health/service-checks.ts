import type { HealthStatus } from '../../api/api-types.js';
import type { KeyValue } from '../../core/kv-types.js';
import { decodeInstance, instanceKey, SERVICES_PREFIX, type InstanceRecord } from '../../services/service-records.js';
import type { CallOptions, CorePort } from '../../services/core-port.js';
import type { GossipDriver } from '../gossip/gossip-driver.js';
import { runHttpCheck, runTcpCheck, type HealthCheckResult } from './health-checks.js';
import { KeyMirror } from '../core/key-mirror.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/** A check owner dead (or gone) this long in the emergent leader's view has its instances' checks adopted. */
export const ADOPT_AFTER_MS = 5000;
const SWEEP_INTERVAL_MS = 1000;
const WRITE_TIMEOUT_MS = 3000;

interface Runner {
  key: string;
  record: InstanceRecord;
  modRevision: number;
  timer: NodeJS.Timeout | null;
  isActive: boolean;
}

/**
 * Runs the health checks of the service instances this node owns (those that registered through it, Consul's
 * agent-local checks), from a mirror of the registry kept by a watch. Each run's status change is written to the
 * instance with a compare-and-set on its mod revision (so a deregistered or re-registered instance is never brought
 * back); an instance critical past its deregister-after limit is deregistered (its lease revoked). If an owner node
 * dies, the emergent leader adopts its instances' checks after ADOPT_AFTER_MS by rewriting their `node` (through the
 * core, so two leaders in a partition cannot both keep an instance: the second compare fails).
 */
export class ServiceChecks implements NodeSubsystem {
  private readonly instances = new Map<string, { record: InstanceRecord; modRevision: number }>();
  private readonly runners = new Map<string, Runner>();
  private readonly adopting = new Set<string>();
  private readonly mirror: KeyMirror;
  private sweepTimer: NodeJS.Timeout | null = null;
  private isStopped = false;
  readonly counters = { runs: 0, statusChanges: 0, deregistered: 0, adopted: 0 };

  constructor(
    private readonly node: NodeRuntime,
    private readonly core: CorePort,
    private readonly gossip: GossipDriver,
  ) {
    this.mirror = new KeyMirror(node, core, SERVICES_PREFIX, {
      onLoad: (kvs) => {
        this.instances.clear();
        for (const kv of kvs) this.hold(kv);
        this.reconcile();
      },
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'put') this.hold(e.kv);
          else this.instances.delete(e.kv.key);
        }
        this.reconcile();
      },
    });
  }

  afterListen(): void {
    this.mirror.start();
    this.sweepTimer = setInterval(() => this.adoptOrphans(), SWEEP_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.mirror.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const r of this.runners.values()) this.stopRunner(r);
    this.runners.clear();
  }

  /** Keys of the instances whose checks run here. */
  owned(): string[] {
    return [...this.runners.keys()];
  }

  private hold(kv: KeyValue): void {
    this.instances.set(kv.key, { record: decodeInstance(kv), modRevision: kv.modRevision });
  }

  /** Starts a runner for every checked instance owned here, updates the ones running, stops the rest. */
  private reconcile(): void {
    if (this.isStopped) return;
    const self = this.node.config.id;
    for (const [key, { record, modRevision }] of this.instances) {
      if (record.node !== self || record.check === null) continue;
      const runner = this.runners.get(key);
      if (runner && runner.record.lease === record.lease) {
        runner.record = record;
        runner.modRevision = modRevision;
        continue;
      }
      // New here, or re-registered under the same id (another lease): a fresh runner.
      if (runner) this.stopRunner(runner);
      const fresh: Runner = { key, record, modRevision, timer: null, isActive: true };
      this.runners.set(key, fresh);
      fresh.timer = setTimeout(() => void this.run(fresh), 0);
    }
    for (const [key, runner] of this.runners) {
      const held = this.instances.get(key);
      if (!held || held.record.node !== self || held.record.lease !== runner.record.lease) {
        this.stopRunner(runner);
        this.runners.delete(key);
      }
    }
  }

  private stopRunner(r: Runner): void {
    r.isActive = false;
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
  }

  private async run(runner: Runner): Promise<void> {
    runner.timer = null;
    const check = runner.record.check;
    if (!runner.isActive || check === null) return;
    const result: HealthCheckResult = check.kind === 'http' ? await runHttpCheck(check.target, check.timeoutMs) : await runTcpCheck(check.target, check.timeoutMs);
    if (!runner.isActive) return;
    this.counters.runs++;
    const now = this.node.clock.nowMs();
    const current = runner.record;
    if (result.status !== current.status) await this.recordStatus(runner, result.status, result.output, now);
    const latest = runner.record;
    if (runner.isActive && latest.status === 'critical' && latest.criticalSinceMs !== null && now - latest.criticalSinceMs >= check.deregisterAfterMs) {
      await this.deregister(runner, now - latest.criticalSinceMs);
    }
    if (runner.isActive) runner.timer = setTimeout(() => void this.run(runner), check.intervalMs);
  }

  private async recordStatus(runner: Runner, status: HealthStatus, output: string, now: number): Promise<void> {
    const prev = runner.record;
    const next: InstanceRecord = { ...prev, status, output, statusSinceMs: now, criticalSinceMs: status === 'critical' ? (prev.criticalSinceMs ?? now) : null };
    const revision = await this.compareAndPut(runner.key, runner.modRevision, next);
    if (revision === null) return; // changed under us (or no leader now): the watch brings the news; the next run decides again
    if (runner.isActive) {
      runner.record = next;
      runner.modRevision = revision;
    }
    this.counters.statusChanges++;
    this.node.log.event('service-check-status', `${prev.service}/${prev.id} is ${status} (was ${prev.status}): ${output.split('\n')[0]}`, {
      service: prev.service,
      id: prev.id,
      status,
      previous: prev.status,
    });
  }

  private async deregister(runner: Runner, criticalForMs: number): Promise<void> {
    const rec = runner.record;
    try {
      // The registry's own rule (critical past deregisterAfter), not a client: no secret needed.
      await this.core.write({ op: 'lease-revoke', id: rec.lease, bySystem: true }, this.callOptions());
      this.counters.deregistered++;
      this.stopRunner(runner);
      this.node.log.event('service-deregistered', `${rec.service}/${rec.id} deregistered: critical for ${Math.round(criticalForMs / 1000)} s (limit ${Math.round(rec.check!.deregisterAfterMs / 1000)} s)`, {
        service: rec.service,
        id: rec.id,
        lease: rec.lease,
        criticalForMs,
      });
    } catch (err) {
      this.node.log.warn(`cannot deregister ${rec.service}/${rec.id} yet`, { error: (err as Error).message });
    }
  }

  /** On the emergent leader: checks owned by members that are dead or gone for ADOPT_AFTER_MS move here. */
  private adoptOrphans(): void {
    const gossip = this.gossip;
    if (this.isStopped || !this.mirror.isSynced || !gossip.isLocalLeader()) return;
    const now = this.node.clock.monotonicMs();
    const gone = new Set(
      gossip
        .members()
        .filter((m) => (m.state === 'dead' || m.state === 'left') && now - m.stateChangedAtMs >= ADOPT_AFTER_MS)
        .map((m) => m.id),
    );
    if (gone.size === 0) return;
    for (const [key, { record, modRevision }] of this.instances) {
      if (record.check === null || !gone.has(record.node) || this.adopting.has(key)) continue;
      this.adopting.add(key);
      const next: InstanceRecord = { ...record, node: this.node.config.id };
      void this.compareAndPut(key, modRevision, next)
        .then((revision) => {
          if (revision === null) return;
          this.counters.adopted++;
          this.node.log.event('service-checks-adopted', `${record.service}/${record.id}: checks move from ${record.node} (gone) to ${this.node.config.id}`, {
            service: record.service,
            id: record.id,
            from: record.node,
          });
        })
        .finally(() => this.adopting.delete(key));
    }
  }

  /** Rewrites an instance if it is still at `modRevision`; its revision, or null if it moved (or the write failed). */
  private async compareAndPut(key: string, modRevision: number, record: InstanceRecord): Promise<number | null> {
    if (key !== instanceKey(record.service, record.id)) return null;
    try {
      const r = await this.core.write(
        {
          op: 'txn',
          compare: [{ key, target: 'mod', op: '=', value: modRevision }],
          success: [{ op: 'put', key, value: JSON.stringify(record), lease: record.lease }],
          failure: [],
        },
        this.callOptions(),
      );
      return r.op === 'txn' && r.succeeded ? r.revision : null;
    } catch (err) {
      this.node.log.warn(`cannot update ${record.service}/${record.id}`, { error: (err as Error).message });
      return null;
    }
  }

  private callOptions(): CallOptions {
    return { deadline: Date.now() + WRITE_TIMEOUT_MS, hops: 0 };
  }
}
