import { CcmError } from '../../errors/ccm-error.js';
import type { HealthCheckKind, HealthCheckView, HealthStatus, HealthSummary, NodeHealthView } from '../../api/api-types.js';
import { deleteHealthCheck, listHealthChecks, putHealthCheck } from '../../storage/health-check-store.js';
import { jsonEquals } from '../../swim/messages.js';
import { compareNodeIds, healthSummaryOf, type GossipDriver } from '../gossip/gossip-driver.js';
import { checkDiskFree, eventLoopLagResult, killGroup, memoryRssResult, runCommandCheck, runHttpCheck, runTcpCheck, type HealthCheckProvider, type HealthCheckResult } from './health-checks.js';
import { summarize, validateCheckSpec, type UserCheckDefinition } from '../../api/health-check-spec.js';
import { registerHealthRoutes } from '../http/health-routes.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/** Built-in checks run this often (they are cheap: a histogram read, memoryUsage, one statfs). */
const BUILTIN_INTERVAL_MS = 2000;
const BUILTIN_TIMEOUT_MS = 1000;
/** Bound on user checks per node. */
const MAX_USER_CHECKS = 64;
export const BUILTIN_CHECKS = ['event-loop-lag', 'memory-rss', 'disk-free'] as const;

interface CheckEntry {
  name: string;
  kind: HealthCheckKind;
  target: string | null;
  intervalMs: number;
  timeoutMs: number;
  run: () => Promise<HealthCheckResult>;
  status: HealthStatus;
  output: string;
  lastRunAtMs: number | null;
  lastDurationMs: number | null;
  statusSinceMs: number;
  /** Completed runs. */
  runs: number;
  timer: NodeJS.Timeout | null;
  /** False once removed or replaced: a run still in flight must not write its result back. */
  isActive: boolean;
  /** Resolves after the first completed run. */
  firstRun: Promise<void>;
  markFirstRun: () => void;
}

/**
 * Runs health checks on this node, Consul's way: each check on its own interval with a timeout, each result passing /
 * warning / critical with output. Built in: event-loop lag, memory RSS, free disk under the data dir. Providers: checks
 * other subsystems register (the Raft driver's `raft-lag`). User checks (HTTP, TCP, command) are stored in SQLite and
 * survive restarts. The summary (worst status, failing names) goes into this node's gossip meta, so every node's
 * view holds every node's health.
 */
export class HealthMonitor implements NodeSubsystem {
  private readonly checks = new Map<string, CheckEntry>();
  private loopWindowStartMs: number;
  /** One timer runs every built-in check (one wake-up per period, not one per check). */
  private builtinTimer: NodeJS.Timeout | null = null;
  private readonly runningCommands = new Set<number>();
  private published: HealthSummary | null = null;
  private isStarted = false;
  private isStopped = false;

  constructor(
    private readonly node: NodeRuntime,
    private readonly gossip: GossipDriver,
  ) {
    this.loopWindowStartMs = node.clock.monotonicMs();
    this.addEntry('event-loop-lag', 'builtin', null, BUILTIN_INTERVAL_MS, BUILTIN_TIMEOUT_MS, async () => this.eventLoopLag());
    this.addEntry('memory-rss', 'builtin', null, BUILTIN_INTERVAL_MS, BUILTIN_TIMEOUT_MS, async () => {
      const m = process.memoryUsage();
      return memoryRssResult(m.rss, m.heapUsed);
    });
    this.addEntry('disk-free', 'builtin', null, BUILTIN_INTERVAL_MS, BUILTIN_TIMEOUT_MS, async () => checkDiskFree(node.config.dataDir));
    for (const stored of listHealthChecks(node.db)) this.addUserEntry(stored);
    registerHealthRoutes(node.http, this);
  }

  // ---- NodeSubsystem -------------------------------------------------------------------------------------------

  /** Runs the built-ins once before the node listens, so its first gossip already carries a real summary. */
  async start(): Promise<void> {
    for (const name of BUILTIN_CHECKS) await this.runOnce(this.checks.get(name)!, false);
    this.publish();
  }

  afterListen(): void {
    this.isStarted = true;
    for (const entry of this.checks.values()) if (entry.kind !== 'builtin') this.scheduleNext(entry, 0);
    this.builtinTimer = setInterval(() => void this.runBuiltins(), BUILTIN_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    for (const entry of this.checks.values()) {
      entry.isActive = false;
      if (entry.timer) clearTimeout(entry.timer);
    }
    if (this.builtinTimer) clearInterval(this.builtinTimer);
    for (const pid of this.runningCommands) killGroup(pid);
  }

  // ---- for other subsystems ------------------------------------------------------------------------------------

  /**
   * Adds a check computed by another subsystem, run every intervalMs (default 2 s). The Raft driver registers
   * `raft-lag` this way. A provider that throws or overruns its timeout reads as critical. Returns an unregister
   * function.
   */
  registerCheckProvider(name: string, provider: HealthCheckProvider, opts: { intervalMs?: number; timeoutMs?: number } = {}): () => void {
    if (this.checks.has(name)) throw new CcmError('already_exists', `a health check named ${name} already exists`);
    const intervalMs = opts.intervalMs ?? BUILTIN_INTERVAL_MS;
    const timeoutMs = opts.timeoutMs ?? Math.min(BUILTIN_TIMEOUT_MS, intervalMs / 2);
    validateCheckSpec(name, { command: 'provider', intervalMs, timeoutMs });
    const entry = this.addEntry(name, 'provider', null, intervalMs, timeoutMs, () => withTimeout(Promise.resolve().then(provider), timeoutMs));
    if (this.isStarted) this.scheduleNext(entry, 0);
    return () => {
      if (this.checks.get(name) === entry) this.removeEntry(entry);
    };
  }

  // ---- user checks ---------------------------------------------------------------------------------------------

  /** Adds (or replaces) a user check, stores it, and runs it at once. Throws invalid_argument on a bad spec. */
  addUserCheck(name: string, spec: unknown): HealthCheckView {
    const def = validateCheckSpec(name, spec);
    if (def.kind === 'command' && !this.node.config.security.allowCommandChecks) throw commandChecksRefused(this.node.config.cluster);
    const existing = this.checks.get(name);
    if (existing !== undefined && !isUserKind(existing.kind)) {
      throw new CcmError('already_exists', `${name} is a ${existing.kind} check; choose another name`);
    }
    if (existing === undefined && this.userChecks().length >= MAX_USER_CHECKS) {
      throw new CcmError('failed_precondition', `this node already has ${MAX_USER_CHECKS} user checks; remove one first`);
    }
    putHealthCheck(this.node.db, { ...def, createdAtMs: this.node.clock.nowMs() });
    if (existing !== undefined) this.removeEntry(existing, false);
    const entry = this.addUserEntry(def);
    this.node.log.event('health-check-added', `check ${name} added: ${def.kind} ${def.target} every ${def.intervalMs} ms (timeout ${def.timeoutMs} ms)`, {
      check: name,
      kind: def.kind,
      target: def.target,
      intervalMs: def.intervalMs,
      timeoutMs: def.timeoutMs,
    });
    if (this.isStarted) this.scheduleNext(entry, 0);
    return this.viewOf(entry);
  }

  /** addUserCheck, then the view after its first run (waiting at most waitMs), so the caller sees a real status. */
  async addUserCheckAndRun(name: string, spec: unknown, waitMs = 3000): Promise<HealthCheckView> {
    const added = this.addUserCheck(name, spec);
    const entry = this.checks.get(name);
    if (entry === undefined || !this.isStarted) return added;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([entry.firstRun, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return this.viewOf(entry);
  }

  /** Removes a user check; not_found if there is none by that name. */
  removeUserCheck(name: string): { node: string; removed: string } {
    const entry = this.checks.get(name);
    if (entry === undefined || !isUserKind(entry.kind)) {
      const builtin = entry !== undefined ? ` (${name} is a ${entry.kind} check and cannot be removed)` : '';
      throw new CcmError(entry === undefined ? 'not_found' : 'invalid_argument', `node ${this.node.config.id} has no user check named ${name}${builtin}`);
    }
    deleteHealthCheck(this.node.db, name);
    this.removeEntry(entry);
    this.node.log.event('health-check-removed', `check ${name} removed`, { check: name });
    return { node: this.node.config.id, removed: name };
  }

  // ---- views ---------------------------------------------------------------------------------------------------

  checkViews(): HealthCheckView[] {
    return [...this.checks.values()].map((e) => this.viewOf(e));
  }

  summary(): HealthSummary {
    return summarize([...this.checks.values()]);
  }

  healthView(): NodeHealthView {
    const members = this.gossip
      .members()
      .map((m) => ({ id: m.id, state: m.state, health: m.id === this.node.config.id ? this.summary() : healthSummaryOf(m.meta.health) }))
      .sort((a, b) => compareNodeIds(a.id, b.id));
    return { node: this.node.config.id, status: this.summary().status, checks: this.checkViews(), members };
  }

  // ---- running -------------------------------------------------------------------------------------------------

  private userChecks(): CheckEntry[] {
    return [...this.checks.values()].filter((e) => isUserKind(e.kind));
  }

  private addUserEntry(def: UserCheckDefinition): CheckEntry {
    const { name, kind, target, intervalMs, timeoutMs } = def;
    const cwd = this.node.config.dataDir;
    const run =
      kind === 'http'
        ? () => runHttpCheck(target, timeoutMs)
        : kind === 'tcp'
          ? () => runTcpCheck(target, timeoutMs)
          : !this.node.config.security.allowCommandChecks
            ? // Stored before the cluster was restarted without --allow-command-checks: kept, never run.
              async (): Promise<HealthCheckResult> => ({ status: 'critical', output: commandChecksRefused(this.node.config.cluster).message })
            : () => {
              let pid: number | undefined;
              return runCommandCheck(target, timeoutMs, cwd, (p) => {
                pid = p;
                if (p !== undefined) this.runningCommands.add(p);
              }).finally(() => {
                if (pid !== undefined) this.runningCommands.delete(pid);
              });
            };
    return this.addEntry(name, kind, target, intervalMs, timeoutMs, run);
  }

  private addEntry(name: string, kind: HealthCheckKind, target: string | null, intervalMs: number, timeoutMs: number, run: () => Promise<HealthCheckResult>): CheckEntry {
    let markFirstRun = (): void => undefined;
    const firstRun = new Promise<void>((resolve) => (markFirstRun = resolve));
    const entry: CheckEntry = {
      name,
      kind,
      target,
      intervalMs,
      timeoutMs,
      run,
      // Consul's default: a check is critical until it has passed once.
      status: 'critical',
      output: 'not run yet',
      lastRunAtMs: null,
      lastDurationMs: null,
      statusSinceMs: this.node.clock.nowMs(),
      runs: 0,
      timer: null,
      isActive: true,
      firstRun,
      markFirstRun,
    };
    this.checks.set(name, entry);
    return entry;
  }

  private removeEntry(entry: CheckEntry, republish = true): void {
    entry.isActive = false;
    if (entry.timer) clearTimeout(entry.timer);
    this.checks.delete(entry.name);
    if (republish) this.publish();
  }

  private scheduleNext(entry: CheckEntry, delayMs: number): void {
    if (!entry.isActive || this.isStopped) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      const startedAt = this.node.clock.monotonicMs();
      void this.runOnce(entry).then(() => this.scheduleNext(entry, Math.max(0, entry.intervalMs - (this.node.clock.monotonicMs() - startedAt))));
    }, delayMs);
  }

  private async runOnce(entry: CheckEntry, shouldPublish = true): Promise<void> {
    const startedAt = this.node.clock.monotonicMs();
    let result: HealthCheckResult;
    try {
      result = await entry.run();
    } catch (err) {
      result = { status: 'critical', output: `check failed: ${(err as Error).message}` };
    }
    if (!entry.isActive || this.isStopped) return;
    entry.runs++;
    entry.markFirstRun();
    entry.lastRunAtMs = this.node.clock.nowMs();
    entry.lastDurationMs = Math.round(this.node.clock.monotonicMs() - startedAt);
    const previous = entry.status;
    entry.output = result.output;
    const isChange = result.status !== previous;
    if (isChange) {
      entry.status = result.status;
      entry.statusSinceMs = entry.lastRunAtMs;
    }
    // Every check starts critical ("not run yet"): its first result is news only when it is not passing.
    if (entry.runs === 1 ? result.status !== 'passing' : isChange) {
      this.node.log.event('health-check-status', `check ${entry.name}: ${entry.runs === 1 ? 'first run' : previous} -> ${result.status}: ${firstLine(result.output)}`, {
        check: entry.name,
        previous: entry.runs === 1 ? null : previous,
        status: result.status,
      });
    }
    // Publish on a change, and after a check's first run (it was counted critical, "not run yet", but never published).
    if (shouldPublish && (isChange || entry.runs === 1)) this.publish();
  }

  /** Puts the summary into this node's gossip meta when it changed (a change bumps the incarnation). */
  private publish(): void {
    const summary = this.summary();
    if (this.published !== null && jsonEquals(summary, this.published)) return;
    const previous = this.published;
    this.published = summary;
    try {
      this.gossip.setMeta({ health: summary });
    } catch (err) {
      this.node.log.error('could not publish the health summary', { error: (err as Error).message });
    }
    if (previous !== null && previous.status !== summary.status) {
      this.node.log.event('health-changed', `node health ${previous.status} -> ${summary.status}${summary.failing.length ? ` (${summary.failing.join(', ')})` : ''}`, {
        previous: previous.status,
        status: summary.status,
        failing: summary.failing,
      });
    }
  }

  private async runBuiltins(): Promise<void> {
    for (const name of BUILTIN_CHECKS) {
      const entry = this.checks.get(name);
      if (entry !== undefined) await this.runOnce(entry);
    }
  }

  /** From the gossip driver's timer lateness: it fires ~10 times a second, so the reading costs no wake-up of its own. */
  private eventLoopLag(): HealthCheckResult {
    const now = this.node.clock.monotonicMs();
    const windowMs = now - this.loopWindowStartMs;
    this.loopWindowStartMs = now;
    const { p99Ms, maxMs } = this.gossip.takeTimerLateness();
    return eventLoopLagResult(p99Ms, maxMs, windowMs);
  }

  private viewOf(e: CheckEntry): HealthCheckView {
    return {
      name: e.name,
      kind: e.kind,
      status: e.status,
      output: e.output,
      target: e.target,
      intervalMs: e.intervalMs,
      timeoutMs: e.timeoutMs,
      lastRunAtMs: e.lastRunAtMs,
      lastDurationMs: e.lastDurationMs,
      statusSinceMs: e.statusSinceMs,
    };
  }
}

function isUserKind(kind: HealthCheckKind): boolean {
  return kind === 'http' || kind === 'tcp' || kind === 'command';
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function withTimeout<T extends HealthCheckResult>(promise: Promise<T>, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'critical', output: `no result within ${timeoutMs} ms` }), timeoutMs);
    promise.then(
      (r) => {
        clearTimeout(timer);
        resolve(isResult(r) ? r : { status: 'critical', output: 'the provider returned no {status, output}' });
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'critical', output: `check failed: ${(err as Error)?.message ?? String(err)}` });
      },
    );
  });
}

function isResult(r: unknown): r is HealthCheckResult {
  const v = r as HealthCheckResult | null;
  return typeof v === 'object' && v !== null && (v.status === 'passing' || v.status === 'warning' || v.status === 'critical') && typeof v.output === 'string';
}

/** Consul refuses script checks unless enable_local_script_checks is set: a command check is code run on the node. */
function commandChecksRefused(cluster: string): CcmError {
  return new CcmError(
    'permission_denied',
    `command checks run /bin/sh on the node and are off on this cluster; start it with: ccm up --allow-command-checks${cluster === 'default' ? '' : ` --name ${cluster}`}`,
  );
}
