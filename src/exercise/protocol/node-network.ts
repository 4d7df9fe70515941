/**
 * The harness as the network of a learner's nodes (Maelstrom's idea, on real processes): N copies of the
 * program, each told its id and its peers by an `init` message, every message between them routed through
 * here. Links take the same faults as `ccm chaos` (src/chaos/faults.ts compiled into one link filter per node,
 * src/net/link-filter.ts): partitions, one-way cuts, delay with jitter, loss and duplication; and a node can be
 * paused (SIGSTOP) like `ccm chaos pause`. The harness is also the client (`c1`): it sends requests (broadcast,
 * read, suspects, leader) to nodes and matches their replies by `in_reply_to`.
 *
 * Whatever a node prints is checked against Maelstrom's message schema before it is routed; the first line that
 * is not a message (or lies about its sender, or names an unknown destination) stops the run, and the line is
 * reported as the evidence. A node that exits on its own is reported with its exit status and its stderr.
 */
import { compileFaults, type Fault } from '../../faults/faults.js';
import { LinkFilter } from '../../net/link-filter.js';
import { SeededRandom } from '../../random/random.js';
import { LearnerProcess, type LearnerProblem } from '../learner-process.js';
import { NodeMessage } from '../wire-schemas.js';

/** A message body as the harness handles it (schema-checked: `type` is a string, ids are integers). */
export type Body = { type: string; msg_id?: number; in_reply_to?: number; [field: string]: unknown };

/** Why a run had to stop: the evidence a learner needs to fix their program. */
export interface NodeProblem {
  kind: 'garbage' | 'crashed' | 'no-init' | 'overlong-line' | 'spawn-failed';
  node: string;
  message: string;
  /** The offending line, cut to 300 characters. */
  line?: string;
  stderr?: string[];
}

export interface NodeNetworkOptions {
  /** The program to run as every node. */
  command: readonly string[];
  nodeCount: number;
  seed: number;
  env?: Record<string, string>;
  /** Called once when the first fatal problem is found (the run should stop). */
  onFatal?: (problem: NodeProblem) => void;
  /** Every message one node sends another, before the link filters decide its fate (for hop counting). */
  onSend?: (from: string, to: string, body: Body, atMs: number) => void;
  /** Every copy delivered to a node. */
  onDeliver?: (from: string, to: string, body: Body, atMs: number) => void;
  /** How long a node has to answer init (default 10 s). */
  initTimeoutMs?: number;
}

/** Per-node message counts (between nodes only; the harness's own requests are not counted). */
export interface NodeTraffic {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

const CLIENT_ID = 'c1';
const INIT_TIMEOUT_MS = 10_000;

export class NodeNetwork {
  readonly ids: string[];
  readonly traffic: Record<string, NodeTraffic> = {};
  readonly problems: NodeProblem[] = [];
  /** Replies that answered no outstanding request (late, duplicated, or made up). */
  unexpectedReplies = 0;
  private readonly processes = new Map<string, LearnerProcess>();
  private readonly filters = new Map<string, LinkFilter>();
  private readonly pending = new Map<number, { resolve: (b: Body | null) => void; timer: NodeJS.Timeout }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextMsgId = 1;
  private isStopping = false;
  private readonly originMs = performance.now();
  private faults: Fault[] = [];
  private readonly paused = new Set<string>();

  constructor(private readonly options: NodeNetworkOptions) {
    // Maelstrom's names: n0, n1, ...
    this.ids = Array.from({ length: options.nodeCount }, (_, i) => `n${i}`);
    const random = new SeededRandom(options.seed ^ 0x6e657477);
    for (const id of this.ids) {
      this.filters.set(id, new LinkFilter(random.fork()));
      this.traffic[id] = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
    }
  }

  /** Milliseconds since the network was made. */
  nowMs(): number {
    return performance.now() - this.originMs;
  }

  get isFailed(): boolean {
    return this.problems.length > 0;
  }

  /** Starts every node and sends each its `init`; resolves when all answered `init_ok` (or a problem stopped it). */
  async start(): Promise<void> {
    for (const id of this.ids) {
      const proc = new LearnerProcess({
        name: id,
        command: this.options.command,
        env: { ...(this.options.env ?? {}), CCM_EXERCISE_NODE: id },
        onLine: (line) => this.onLine(id, line),
        onProblem: (p) => this.onProcessProblem(id, p),
        onExit: (e) => {
          if (this.isStopping) return;
          this.fatal({
            kind: 'crashed',
            node: id,
            message: `${id} exited on its own (${e.signal ? `signal ${e.signal}` : `exit status ${e.code}`})`,
            stderr: proc.stderrTail(),
          });
        },
      });
      this.processes.set(id, proc);
    }
    await Promise.all([...this.processes.values()].map((p) => p.start()));
    if (this.isFailed) return;
    const initTimeoutMs = this.options.initTimeoutMs ?? INIT_TIMEOUT_MS;
    const answers = await Promise.all(
      this.ids.map(async (id) => ({ id, reply: await this.request(id, { type: 'init', node_id: id, node_ids: [...this.ids] }, initTimeoutMs) })),
    );
    for (const { id, reply } of answers) {
      if (this.isFailed) return;
      if (reply?.type !== 'init_ok') {
        this.fatal({
          kind: 'no-init',
          node: id,
          message: reply === null ? `${id} did not answer init within ${initTimeoutMs / 1000} s` : `${id} answered init with ${JSON.stringify(reply).slice(0, 200)} (want type init_ok)`,
          stderr: this.processes.get(id)?.stderrTail(),
        });
        return;
      }
    }
  }

  /**
   * Sends a request from the harness (client c1) and resolves with the reply's body, or null when none came
   * within `timeoutMs` (a paused node, a lost reply, a program that does not answer).
   */
  request(node: string, body: Omit<Body, 'msg_id'>, timeoutMs: number): Promise<Body | null> {
    const proc = this.processes.get(node);
    if (!proc || this.isStopping || this.isFailed) return Promise.resolve(null);
    const msgId = this.nextMsgId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        resolve(null);
      }, timeoutMs);
      this.pending.set(msgId, { resolve, timer });
      proc.send({ src: CLIENT_ID, dest: node, body: { ...body, msg_id: msgId } });
    });
  }

  /** Replaces the link faults (the same kinds as `ccm chaos`: partition, one-way, delay, loss, duplicate). */
  setFaults(faults: Fault[]): void {
    this.faults = faults;
    const configs = compileFaults(faults, this.ids);
    for (const id of this.ids) this.filters.get(id)!.set(configs[id]);
  }

  activeFaults(): Fault[] {
    return this.faults;
  }

  /** Stops a node's processes (SIGSTOP): it neither reads nor writes until resumed. */
  pause(node: string): void {
    this.processes.get(node)?.pause();
    this.paused.add(node);
  }

  resume(node: string): void {
    this.processes.get(node)?.resume();
    this.paused.delete(node);
  }

  isPaused(node: string): boolean {
    return this.paused.has(node);
  }

  /** Whether `from` currently reaches `to` at all (no drop rule in either filter). */
  canReach(from: string, to: string): boolean {
    return !this.filters.get(from)?.ruleFor(to, 'out')?.drop && !this.filters.get(to)?.ruleFor(from, 'in')?.drop;
  }

  stderrOf(node: string): string[] {
    return this.processes.get(node)?.stderrTail() ?? [];
  }

  /** Lines a node wrote faster than the harness accepts (dropped). */
  rateLimited(): number {
    return [...this.processes.values()].reduce((n, p) => n + p.counters.rateLimited, 0);
  }

  /** A reply that is a message but not the answer the request wants (read_ok without a list...): garbage too. */
  rejectReply(node: string, body: Body, why: string): void {
    this.fatal({ kind: 'garbage', node, message: `${node} answered with a message that breaks the protocol: ${why}`, line: JSON.stringify({ src: node, dest: CLIENT_ID, body }).slice(0, 300), stderr: this.stderrOf(node) });
  }

  /** Kills every node and forgets pending requests. */
  async stop(): Promise<void> {
    this.isStopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.pending.clear();
    await Promise.all([...this.processes.values()].map((p) => p.kill()));
  }

  private fatal(problem: NodeProblem): void {
    if (this.isStopping) return;
    this.problems.push(problem);
    if (this.problems.length > 1) return;
    this.options.onFatal?.(problem);
    // the run is over: nobody should wait for an answer any more
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.pending.clear();
  }

  private onProcessProblem(node: string, p: LearnerProblem): void {
    if (p.kind === 'overlong-line') {
      this.fatal({ kind: 'overlong-line', node, message: `${node} printed a line of ${p.bytes} bytes, over the limit`, line: p.prefix.slice(0, 300) });
    } else {
      this.fatal({ kind: 'spawn-failed', node, message: p.message });
    }
  }

  private onLine(node: string, line: string): void {
    if (this.isStopping) return;
    const parsed = NodeMessage.parse(line);
    const garbage = (why: string): void =>
      this.fatal({ kind: 'garbage', node, message: `${node} printed a line that is not a valid message: ${why}`, line: line.slice(0, 300), stderr: this.stderrOf(node) });
    if (!parsed.ok) return garbage(parsed.reason);
    const msg = parsed.value;
    if (msg.src !== node) return garbage(`"src" is ${JSON.stringify(msg.src)}, but this is ${node}'s output`);
    const body = msg.body as Body;
    if (msg.dest === CLIENT_ID) return this.onReply(body);
    if (!this.filters.has(msg.dest)) return garbage(`"dest" ${JSON.stringify(msg.dest)} is neither a node (${this.ids[0]}..${this.ids[this.ids.length - 1]}) nor the client ${CLIENT_ID}`);
    this.route(node, msg.dest, body);
  }

  private onReply(body: Body): void {
    const waiting = body.in_reply_to === undefined ? undefined : this.pending.get(body.in_reply_to);
    if (!waiting) {
      this.unexpectedReplies++;
      return;
    }
    this.pending.delete(body.in_reply_to!);
    clearTimeout(waiting.timer);
    waiting.resolve(body);
  }

  private route(from: string, to: string, body: Body): void {
    const now = this.nowMs();
    const traffic = this.traffic[from];
    traffic.sent++;
    this.options.onSend?.(from, to, body, now);
    const out = this.filters.get(from)!.decide(to, 'out');
    const inbound = out.deliver ? this.filters.get(to)!.decide(from, 'in') : out;
    if (!out.deliver || !inbound.deliver) {
      traffic.dropped++;
      return;
    }
    const copies = Math.max(out.copies, inbound.copies);
    if (copies > 1) traffic.duplicated++;
    const delayMs = out.delayMs + inbound.delayMs;
    const line = { src: from, dest: to, body };
    for (let i = 0; i < copies; i++) {
      const deliver = (): void => {
        if (this.isStopping) return;
        this.traffic[from].delivered++;
        this.options.onDeliver?.(from, to, body, this.nowMs());
        this.processes.get(to)?.send(line);
      };
      if (delayMs <= 0 && i === 0) {
        deliver();
      } else {
        // a duplicate arrives a little after the original, as a retransmitted frame would
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          deliver();
        }, delayMs + i * 2);
        this.timers.add(timer);
      }
    }
  }
}
