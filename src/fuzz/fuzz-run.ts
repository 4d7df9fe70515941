import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requestJson } from '../client/http-json.js';
import { clusterPaths, nodeLogPath, type ClusterPaths } from '../cluster/cluster-dir.js';
import { readClusterFile, type NodeRecord } from '../cluster/cluster-file.js';
import { readClusterTokens, secretPaths } from '../cluster/cluster-secrets.js';
import { downCluster, nodeAction, upCluster } from '../cluster/launcher.js';
import { processState } from '../cluster/process-table.js';
import { FrameDecoder } from '../net/framing.js';
import { Keyring } from '../net/keyring.js';
import { greetingChallenge, NonceSequence, sealedCodec, sealRecord, type PeerCodec } from '../net/sealed-frame.js';
import { readKeyringFile } from '../cluster/keyring-file.js';
import { SeededRandom } from '../random/random.js';
import { fixedBackoff, retry } from '../time/backoff.js';
import { gossipCase, httpCase, peerCase, type FuzzCase, type FuzzTarget } from './port-cases.js';
import { MUTANT_LOADER } from './mutants.js';

/**
 * The fuzz run: a real node, driven on each of its ports (HTTP, peer TCP, gossip UDP) with the cases of
 * port-cases.ts for a time budget per port, and watched after every case: a node process that dies is a crash,
 * reported with the port, the seed and the case number that replay it (`npm run fuzz -- --port P --seed S --case I`).
 *
 * The cluster: two nodes, n1 the only voter (so a forged write commits and applies at once), n2 stopped so the
 * fuzzer can speak as n2 (its peer id; its gossip port). The fuzzer is an insider: it reads the cluster's secrets
 * (as its owner can), seals its peer frames and datagrams with the cluster key and sends its HTTP requests with
 * the admin token, so the mutated traffic gets past the door to the validation behind it. A few cases
 * (OUTSIDER_SHARE) go as they are, without key or token: the door itself is fuzzed, and each must be refused.
 */
export const FUZZ_PORTS = ['http', 'peer', 'gossip'] as const;
export type FuzzPort = (typeof FUZZ_PORTS)[number];

/** The share of cases sent as an outsider (no token, not sealed): the refusals at the door (401, bad_seal). */
export const OUTSIDER_SHARE = 0.05;

export interface FuzzOptions {
  seed: number;
  ports: readonly FuzzPort[];
  /** Time per port; the run also stops a port after maxCases. */
  budgetMsPerPort: number;
  maxCases?: number;
  /** The first case number (to replay one case: firstCase = I, maxCases = 1). */
  firstCase?: number;
  /** Stop at the first crash (a test that only needs to see one). */
  stopAtFirstCrash?: boolean;
  /** TEST-ONLY: start the node with CCM_UNSAFE_SKIP_VALIDATION=1, to show the suite finds what validation stops. */
  unsafeSkipValidation?: boolean;
  /** TEST-ONLY: the node runs this mutant of its program (mutants.ts), to show the suite notices a guard taken out. */
  mutant?: string;
  onProgress?: (line: string) => void;
  /** Runs on the cluster after the cases, before it is torn down (a test's own checks). */
  afterRun?: (cluster: FuzzCluster) => Promise<void>;
}

export interface FuzzCrash {
  port: FuzzPort;
  seed: number;
  caseIndex: number;
  what: string;
  /** The node's last log lines (its fatal line among them). */
  lastWords: string;
  replay: string;
}

export interface FuzzReport {
  seed: number;
  cases: Partial<Record<FuzzPort, number>>;
  crashes: FuzzCrash[];
  /** Whether the node answered /v1/status after the run (a crash is restarted for the next port). */
  answersAfter: boolean;
  /** ccm_rejected_inputs_total at the end, as `port/reason` → count. */
  rejected: Record<string, number>;
  /** The distinct unexpected errors the node answered as internal errors (handler_error in its log): bugs to look at. */
  handlerErrors: string[];
  /** The slowest case per port (ms), and which. */
  slowest: Partial<Record<FuzzPort, { ms: number; caseIndex: number; what: string }>>;
  /**
   * The cases sent as an outsider, per port, and how many the node refused at its door, as expected: HTTP answered
   * 4xx (401 without a token) or closed unanswered; peer TCP closed by the node (bad_seal); gossip UDP counted
   * by the node under gossip/bad_seal (a datagram is not answered). `notRefused` names the first cases that were not.
   */
  outsiders: Partial<Record<FuzzPort, { cases: number; refused: number; notRefused: number[] }>>;
}

const TARGET = 'n1';
const SELF = 'n2';

/** One Random per case: the case's bytes depend on (seed, port, case number) only. */
export function caseRandom(seed: number, port: FuzzPort, index: number): SeededRandom {
  const p = FUZZ_PORTS.indexOf(port) + 1;
  return new SeededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(p, 0x85ebca77) ^ Math.imul(index + 1, 0xc2b2ae3d)) >>> 0);
}

export function fuzzCase(seed: number, port: FuzzPort, index: number, target: FuzzTarget): FuzzCase {
  const random = caseRandom(seed, port, index);
  const c = port === 'http' ? httpCase(random) : port === 'peer' ? peerCase(random, target) : gossipCase(random, target);
  // Drawn after the case's bytes, so they are the same whichever way it goes.
  if (random.next() >= OUTSIDER_SHARE) return c;
  return { ...c, what: `${c.what}, as an outsider (${port === 'http' ? 'no token' : 'not sealed'})`, asOutsider: true };
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const cluster = await FuzzCluster.start(opts.unsafeSkipValidation === true, opts.mutant);
  const report: FuzzReport = { seed: opts.seed, cases: {}, crashes: [], answersAfter: false, rejected: {}, handlerErrors: [], slowest: {}, outsiders: {} };
  const say = opts.onProgress ?? (() => undefined);
  try {
    for (const port of opts.ports) {
      const started = Date.now();
      let n = 0;
      const first = opts.firstCase ?? 0;
      const outsiders = { cases: 0, refused: 0, notRefused: [] as number[] };
      report.outsiders[port] = outsiders;
      const gossipSealRefusals = async (): Promise<number> => (port === 'gossip' ? ((await cluster.rejections())['gossip/bad_seal'] ?? 0) : 0);
      const sealRefusalsBefore = await gossipSealRefusals();
      for (let i = first; Date.now() - started < opts.budgetMsPerPort && n < (opts.maxCases ?? Infinity); i++, n++) {
        const c = fuzzCase(opts.seed, port, i, cluster.target);
        const t0 = Date.now();
        const outcome = await cluster.send(port, c);
        const ms = Date.now() - t0;
        if (c.asOutsider) {
          outsiders.cases++;
          if (port === 'gossip') {
            // counted below, from the node's gossip/bad_seal
          } else if (port === 'http' ? (outcome.status !== null ? outcome.status >= 400 && outcome.status < 500 : outcome.closedByNode) : outcome.closedByNode) outsiders.refused++;
          else if (outsiders.notRefused.length < 10) outsiders.notRefused.push(i);
        } else if (ms > (report.slowest[port]?.ms ?? -1)) report.slowest[port] = { ms, caseIndex: i, what: c.what };
        if (cluster.isAlive()) continue;
        // Let a dying process finish writing its last words.
        await new Promise((r) => setTimeout(r, 200));
        const crash: FuzzCrash = {
          port,
          seed: opts.seed,
          caseIndex: i,
          what: c.what,
          lastWords: cluster.lastWords(),
          replay: `npm run fuzz -- --port ${port} --seed ${opts.seed} --case ${i}${opts.unsafeSkipValidation ? ' --unsafe-skip-validation' : ''}${opts.mutant ? ` --mutant ${opts.mutant}` : ''}`,
        };
        report.crashes.push(crash);
        say(`CRASH on the ${port} port: seed ${opts.seed}, case ${i} (${c.what})\n${crash.lastWords}\nreplay: ${crash.replay}`);
        if (opts.stopAtFirstCrash) {
          report.cases[port] = n + 1;
          await opts.afterRun?.(cluster);
          return report;
        }
        await cluster.restartTarget();
      }
      if (port === 'gossip' && outsiders.cases > 0) {
        await new Promise((r) => setTimeout(r, 100)); // the last datagrams are read a moment later
        outsiders.refused = Math.min(outsiders.cases, Math.max(0, (await gossipSealRefusals()) - sealRefusalsBefore));
      }
      report.cases[port] = n;
      say(
        `${port}: ${n} cases in ${Math.round((Date.now() - started) / 1000)} s, ${report.crashes.filter((c) => c.port === port).length} crashes; ` +
          `${outsiders.cases} sent as an outsider, ${outsiders.refused} refused at the door`,
      );
    }
    report.answersAfter = await cluster.answers();
    report.rejected = await cluster.rejections();
    report.handlerErrors = cluster.handlerErrors();
    await opts.afterRun?.(cluster);
    return report;
  } finally {
    await cluster.stop();
  }
}

/** What the fuzzer holds of the cluster's secrets: what the CLI, as the cluster's owner, reads from secrets/. */
interface InsiderSecrets {
  adminToken: string;
  /** The cluster's name (bound into every seal). */
  cluster: string;
  /** Null when the cluster does not seal peer traffic (security.peerEncryption off). */
  keyring: Keyring | null;
}

/** What the node did with a case, as the fuzzer saw it. */
export interface SendOutcome {
  /** HTTP: the status of the answer (null: none came). */
  status: number | null;
  /** The node closed the connection (a peer connection it refused; an HTTP request it would not serve). */
  closedByNode: boolean;
}

/** How long a connection stays open for an outsider's case: the node's refusal (answer or close) must come in it. */
const OUTSIDER_WAIT_MS = 1000;

/** The fuzzed cluster: its files, the target node, and how to reach each of its ports as n2, with its secrets. */
export class FuzzCluster {
  private udp: dgram.Socket | null = null;
  private readonly nonces = new NonceSequence();
  private readonly codec: PeerCodec | null;

  private constructor(
    private readonly home: string,
    readonly paths: ClusterPaths,
    private node: NodeRecord,
    private readonly selfGossipPort: number,
    readonly target: FuzzTarget,
    private readonly secrets: InsiderSecrets,
  ) {
    this.codec = secrets.keyring ? sealedCodec(secrets.keyring, secrets.cluster, this.nonces) : null;
  }

  /** A fresh cluster; `mutant` (TEST-ONLY) names a mutant of mutants.ts for its nodes to run. */
  static async start(unsafeSkipValidation: boolean, mutant?: string): Promise<FuzzCluster> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-fuzz-'));
    const paths = clusterPaths(home, 'fuzz');
    try {
      await withNodeEnvironment({ ...mutantEnvironment(mutant), CCM_UNSAFE_SKIP_VALIDATION: unsafeSkipValidation ? '1' : undefined }, async () => {
        await upCluster(paths, { nodes: 2, core: 1, heal: false });
        await nodeAction(paths, SELF, 'stop');
      });
    } catch (err) {
      await downCluster(paths, { purge: true }).catch(() => undefined);
      throw err;
    }
    const file = readClusterFile(paths);
    const node = file.nodes.find((n) => n.id === TARGET)!;
    const self = file.nodes.find((n) => n.id === SELF)!;
    const secrets = readInsiderSecrets(paths, file.name, file.security.peerEncryption);
    const cluster = new FuzzCluster(home, paths, node, self.ports.gossip, { target: TARGET, self: SELF, selfGossipAddress: `${file.host}:${self.ports.gossip}` }, secrets);
    await cluster.waitForLeader();
    return cluster;
  }

  isAlive(): boolean {
    return processState(this.node.pid, TARGET) !== 'stopped';
  }

  /**
   * Sends one case to the target's port: as an insider (HTTP with the admin token, a Host naming the node and a
   * JSON Content-Type; peer frames and datagrams sealed with the cluster key), or, if the case says so, as an
   * outsider (its bytes as they are).
   */
  async send(port: FuzzPort, c: FuzzCase): Promise<SendOutcome> {
    const isOutsider = c.asOutsider === true;
    if (port === 'gossip') {
      const codec = this.codec;
      await this.sendDatagrams(isOutsider || !codec ? c.chunks : c.chunks.map((d) => codec.sealDatagram(SELF, TARGET, d)));
      return { status: null, closedByNode: false };
    }
    if (port === 'http') return this.sendHttp(isOutsider ? c.chunks : c.chunks.map((chunk, i) => (i === 0 ? this.withCredentials(chunk) : chunk)), isOutsider);
    const outcome = await this.sendPeer(c.chunks, isOutsider);
    // A frame that commits a write is applied a moment later.
    await new Promise((r) => setTimeout(r, 5));
    return outcome;
  }

  /**
   * The request with the insider's header lines right after its request line (its first CRLF), or as it is when it
   * has none (random bytes: no end of headers in them). Node keeps the first of duplicate Host and Content-Type
   * headers, so these win over the case's own; an outsider's case keeps its own (mutated) Host for the door to judge.
   */
  private withCredentials(request: Buffer): Buffer {
    const lineEnd = request.indexOf('\r\n');
    if (lineEnd < 0 || request.indexOf('\r\n\r\n') < 0) return request;
    const lines = `Authorization: Bearer ${this.secrets.adminToken}\r\nHost: 127.0.0.1:${this.node.ports.http}\r\nContent-Type: application/json\r\n`;
    return Buffer.concat([request.subarray(0, lineEnd + 2), Buffer.from(lines, 'latin1'), request.subarray(lineEnd + 2)]);
  }

  /** One HTTP connection, until the answer ends: at most 150 ms (a watch streams on), an outsider's 1 s. */
  private sendHttp(chunks: Buffer[], isOutsider: boolean): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const outcome: SendOutcome = { status: null, closedByNode: false };
      let head = '';
      const socket = net.connect(this.node.ports.http, '127.0.0.1');
      const timer = setTimeout(() => socket.destroy(), isOutsider ? OUTSIDER_WAIT_MS : 150);
      socket.on('connect', () => {
        for (const chunk of chunks) socket.write(chunk);
      });
      socket.on('data', (d: Buffer) => {
        if (outcome.status === null && head.length < 64) {
          head += d.subarray(0, 64).toString('latin1');
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
          if (m) outcome.status = Number(m[1]);
        }
        if (d.includes('\r\n\r\n')) setTimeout(() => socket.destroy(), 5);
      });
      socket.on('end', () => {
        outcome.closedByNode = true;
        socket.destroy();
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }

  /**
   * One peer connection. As an insider: the acceptor's greeting read, then the case sealed in two records, as a
   * dialer seals them: its first chunk (the hello frame, maybe mutated) alone in record 0 (the acceptor takes only
   * a small frame before hello), the rest of its bytes as they are in record 1, so that their own framing, valid or
   * not, reaches the acceptor's inner decoder and the envelope checks; then 40 ms for the node to act on them (a
   * forged write commits and applies within a few ms on a lone voter). As an outsider: the bytes as they are, and
   * up to 1 s for the node to refuse them by closing. (A cluster that does not seal gets every case as it is.)
   */
  private sendPeer(chunks: Buffer[], isOutsider: boolean): Promise<SendOutcome> {
    const ring = this.secrets.keyring;
    const isSealed = ring !== null && !isOutsider;
    return new Promise((resolve) => {
      const outcome: SendOutcome = { status: null, closedByNode: false };
      const socket = net.connect(this.node.ports.peer, '127.0.0.1');
      let timer = setTimeout(() => socket.destroy(), isOutsider ? OUTSIDER_WAIT_MS : isSealed ? 1000 : 40);
      const greeting = new FrameDecoder(1024);
      let isGreeted = false;
      socket.on('connect', () => {
        if (!isSealed) for (const chunk of chunks) socket.write(chunk);
      });
      socket.on('data', (d: Buffer) => {
        if (!isSealed || isGreeted) return;
        let frame: Buffer | null;
        try {
          greeting.append(d);
          frame = greeting.next();
        } catch {
          frame = Buffer.alloc(0);
        }
        if (frame === null) return;
        isGreeted = true;
        const challenge = greetingChallenge(frame);
        if (challenge === null) {
          socket.destroy(); // not a sealing node's greeting: nothing to seal for
          return;
        }
        const key = ring.primary();
        socket.write(sealRecord(key, this.nonces.next(), this.secrets.cluster, challenge, 0, [chunks[0]]));
        if (chunks.length > 1) socket.write(sealRecord(key, this.nonces.next(), this.secrets.cluster, challenge, 1, chunks.slice(1)));
        clearTimeout(timer);
        timer = setTimeout(() => socket.destroy(), 40);
      });
      socket.on('end', () => {
        outcome.closedByNode = true;
        socket.destroy();
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }

  private async sendDatagrams(chunks: Buffer[]): Promise<void> {
    if (!this.udp) {
      const socket = dgram.createSocket('udp4');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.selfGossipPort, '127.0.0.1', () => resolve());
      });
      socket.on('message', () => undefined);
      this.udp = socket;
    }
    const udp = this.udp;
    for (const chunk of chunks) await new Promise<void>((resolve) => udp.send(chunk, this.node.ports.gossip, '127.0.0.1', () => resolve()));
    await new Promise((r) => setTimeout(r, 2));
  }

  lastWords(): string {
    try {
      const lines = fs.readFileSync(nodeLogPath(this.paths, TARGET), 'utf8').trimEnd().split('\n');
      const fatal = lines.filter((l) => l.includes('"fatal"'));
      return [...fatal.slice(-1), ...lines.slice(-3)].map((l) => `  ${l.slice(0, 600)}`).join('\n');
    } catch {
      return '  (no log)';
    }
  }

  /** Where the target's log ends now (handlerErrors(since) reads only what comes after). */
  logMark(): number {
    try {
      return fs.statSync(nodeLogPath(this.paths, TARGET)).size;
    } catch {
      return 0;
    }
  }

  handlerErrors(since = 0): string[] {
    const seen = new Set<string>();
    try {
      const log = fs.readFileSync(nodeLogPath(this.paths, TARGET));
      for (const line of log.subarray(Math.min(since, log.length)).toString('utf8').split('\n')) {
        if (!line.includes('"handler_error"')) continue;
        const entry = JSON.parse(line) as { message?: string; stack?: string };
        const where = entry.stack?.split('\n').slice(0, 3).join(' | ') ?? '';
        seen.add(`${(entry.message ?? '').replace(/from \S+:/, 'from …:')}${where ? `  [${where}]` : ''}`);
      }
    } catch {
      // no log
    }
    return [...seen].slice(0, 20);
  }

  /**
   * Starts the target again (after a crash; or stops it first) and waits until the cluster serves. It runs the
   * program as built, or (TEST-ONLY) with `mutant` applied.
   */
  async restartTarget(mutant?: string): Promise<boolean> {
    await withNodeEnvironment(mutantEnvironment(mutant), () => nodeAction(this.paths, TARGET, this.isAlive() ? 'restart' : 'start'));
    this.node = readClusterFile(this.paths).nodes.find((n) => n.id === TARGET)!;
    return this.waitForLeader();
  }

  /** The target's HTTP port. */
  get httpPort(): number {
    return this.node.ports.http;
  }

  async answers(): Promise<boolean> {
    try {
      await requestJson({ host: '127.0.0.1', port: this.node.ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: 5000 });
      return true;
    } catch {
      return false;
    }
  }

  async rejections(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    try {
      const m = await requestJson<{ families: { name: string; samples: { labels: Record<string, string>; value: number | null }[] }[] }>(
        { host: '127.0.0.1', port: this.node.ports.http },
        'GET',
        '/v1/metrics',
        undefined,
        { timeoutMs: 5000 },
      );
      for (const s of m.families.find((f) => f.name === 'ccm_rejected_inputs_total')?.samples ?? []) out[`${s.labels.port}/${s.labels.reason}`] = s.value ?? 0;
    } catch {
      // the node does not answer: the report says so (answersAfter)
    }
    return out;
  }

  /** Waits (up to 15 s) until a write through the target succeeds: whether the cluster serves. */
  async waitForLeader(): Promise<boolean> {
    return retry(() => requestJson({ host: '127.0.0.1', port: this.node.ports.http }, 'PUT', '/v1/kv', { key: '/fuzz/ready', value: 'y' }, { timeoutMs: 2000 }), {
      policy: fixedBackoff(100),
      deadlineMs: Date.now() + 15_000,
    }).then(
      () => true,
      () => false,
    );
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await downCluster(this.paths, { purge: true }).catch(() => undefined);
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * How the fuzz suite fails on a node: the first case after which the node is dead, or has answered an input with an
 * internal error (a handler threw: `handler_error` in its log). Cases run on one port, from case 0 of `seed`, until
 * one fails or `budgetMs` is spent.
 */
export interface FuzzFailure {
  port: FuzzPort;
  seed: number;
  caseIndex: number;
  what: string;
  how: 'crash' | 'handler_error';
  detail: string;
  replay: string;
}

export async function firstFailure(cluster: FuzzCluster, port: FuzzPort, seed: number, budgetMs: number, mutant?: string): Promise<{ failure: FuzzFailure | null; cases: number }> {
  const started = Date.now();
  const replay = (i: number): string => `npm run fuzz -- --port ${port} --seed ${seed} --case ${i}${mutant ? ` --mutant ${mutant}` : ''}`;
  let i = 0;
  for (; Date.now() - started < budgetMs; i++) {
    const mark = cluster.logMark();
    const c = fuzzCase(seed, port, i, cluster.target);
    await cluster.send(port, c);
    // A round trip to the node after the case: it has read the case's bytes by the time it answers, so an error
    // they cause is in its log now, not found one case late (the replay must name the case that did it).
    await cluster.answers();
    if (!cluster.isAlive()) {
      await new Promise((r) => setTimeout(r, 200));
      return { failure: { port, seed, caseIndex: i, what: c.what, how: 'crash', detail: cluster.lastWords(), replay: replay(i) }, cases: i + 1 };
    }
    const errors = cluster.handlerErrors(mark);
    if (errors.length > 0) return { failure: { port, seed, caseIndex: i, what: c.what, how: 'handler_error', detail: errors.join('\n'), replay: replay(i) }, cases: i + 1 };
  }
  return { failure: null, cases: i };
}

/** The cluster's admin token and keyring, read from its secrets/ as the CLI reads them; a clear error if absent. */
function readInsiderSecrets(paths: ClusterPaths, cluster: string, isSealed: boolean): InsiderSecrets {
  const tokens = readClusterTokens(paths);
  if (!tokens) throw new Error(`the fuzzer cannot read the cluster's tokens in ${secretPaths(paths).dir}`);
  if (!isSealed) return { adminToken: tokens.admin, cluster, keyring: null };
  const ring = readKeyringFile(secretPaths(paths).keyring);
  if (!ring) throw new Error(`the fuzzer cannot read the cluster's keyring ${secretPaths(paths).keyring}`);
  return { adminToken: tokens.admin, cluster, keyring: new Keyring(ring) };
}

/** The environment a node is spawned with to run `mutant` (TEST-ONLY), or without one. */
function mutantEnvironment(mutant: string | undefined): Record<string, string | undefined> {
  return mutant === undefined ? { CCM_FUZZ_MUTANT: undefined } : { CCM_FUZZ_MUTANT: mutant, CCM_NODE_FLAGS: `--import ${MUTANT_LOADER}` };
}

/** Runs `fn` with `env` set in this process's environment, which the nodes it spawns inherit (undefined: unset). */
async function withNodeEnvironment<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return await fn();
  } finally {
    set(previous);
  }
}
