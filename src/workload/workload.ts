/**
 * A chaos workload: client processes that run operations against the cluster during the run (recording a
 * history), a final phase after the heal (final reads, closing watches), and the checkers for its history.
 */
import type { CheckResult, HistoryEvent } from '../check/index.js';
import { CcmError } from '../errors/ccm-error.js';
import type { CcmClient, NodeEndpoint } from '../client/ccm-client.js';
import type { Random } from '../random/random.js';
import type { HistoryRecorder } from './history-recorder.js';

/** What a workload gets from the runner. */
export interface WorkloadContext {
  /** Every node, in id order; clients are pinned to them round-robin (as Jepsen binds a client to a node). */
  endpoints: NodeEndpoint[];
  /** Every node's etcd API (host and etcd port), in the same order; absent for a cluster made before ccm spoke etcd. */
  etcdEndpoints?: NodeEndpoint[];
  /** The cluster's client token, which the etcd API requires (the HTTP client carries its own credentials). */
  etcdToken?: string;
  /** A client with every endpoint, leader preference and safe retries: for setup and the final phase. */
  client: CcmClient;
  recorder: HistoryRecorder;
  /** Seeded from the run's seed: the same seed makes the same choices (timing aside). */
  random: Random;
  /** Unique per run: workloads put it in their keys, so runs on one cluster never see each other's data. */
  runId: string;
  /** How many client processes run operations. */
  clients: number;
  /** Deadline of one operation (a timeout is an indeterminate outcome). */
  opTimeoutMs: number;
  /** True while the main phase runs; clients stop starting operations when it turns false. */
  isRunning(): boolean;
  /** Milliseconds since the run started. */
  elapsedMs(): number;
  /** Length of the main phase. */
  durationMs: number;
  /** Progress notes (e.g. a watcher reconnecting), shown with the run's output when verbose. */
  note(message: string): void;
}

/** Budgets for the checkers. */
export interface CheckOptions {
  /** Wall time the linearizability search may take, in total. */
  timeBudgetMs: number;
}

export interface Workload {
  readonly name: string;
  /** Before the run: checks that the cluster has the API the workload needs, prepares what it uses. */
  setup(ctx: WorkloadContext): Promise<void>;
  /** The main phase: runs client processes until ctx.isRunning() turns false and every operation has returned. */
  run(ctx: WorkloadContext): Promise<void>;
  /** After the heal and the recovery period: final reads, closing watches. */
  finish(ctx: WorkloadContext): Promise<void>;
  /** Checks the history with this workload's checkers. */
  check(history: readonly HistoryEvent[], options: CheckOptions): CheckResult[];
  /** Figures for the report (keys used, watch reconnects...). */
  stats(): Record<string, string | number>;
}

/** Reads `/v1/...` once to tell whether the node has an API at all (a 404 "no such endpoint"). */
export async function requireApi(ctx: WorkloadContext, workload: string, method: string, path: string, what: string): Promise<void> {
  try {
    await ctx.client.call(method, path, undefined, { timeoutMs: 5000 });
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/no such endpoint/.test(message)) {
      throw new CcmError('failed_precondition', `the ${workload} workload needs ${what} (${method} ${path}), which this cluster's nodes do not serve yet`);
    }
    // any other answer (not_found for a resource, no_leader...) means the route exists
  }
}
