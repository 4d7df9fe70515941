/**
 * `ccm agent`: one node per host, with its own data directory, joining through seeds' gossip addresses (as Consul's
 * agent). What the agent's directory holds, how its secrets arrive (a file or the environment, never argv: `ps`
 * shows argv), and the checks made before anything starts. The node's side is src/node/agent/agent-membership.ts.
 *
 *   <dir>/agent.json      the agent's settings (no secrets), read by the node at start
 *   <dir>/secrets/        keyring.json, client.token, admin.token (0600, in a 0700 directory)
 *   <dir>/agent.pid       the running agent's pid (a second agent in the same directory is refused)
 */
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { CcmError } from '../errors/ccm-error.js';
import { compileSchema } from '../schema/compiled-schema.js';
import { generateKey, keyringProblem, parseKey, type KeyringData } from '../net/keyring.js';
import type { PeerAddress } from '../net/tcp-transport.js';
import { requestJson } from '../client/http-json.js';
import type { NodePorts } from './cluster-file.js';
import { ensureClusterSecrets, readTokens, writeSecretFile, type SecretPaths } from './cluster-secrets.js';
import { withClusterLock } from './cluster-lock.js';
import type { ClusterPaths } from './cluster-dir.js';
import { isPidAlive } from './process-table.js';

/** An agent's ports, from its base port: HTTP, peer TCP +1, gossip UDP +2, etcd gRPC +3 (as `ccm up --base-port`). */
export function agentPorts(basePort: number): NodePorts {
  return { http: basePort, peer: basePort + 1, gossip: basePort + 2, etcd: basePort + 3 };
}

/** A seed named by its gossip address answers HTTP on its base port, two below (every agent's layout). */
export const SEED_HTTP_OFFSET = 2;

const AgentIdSchema = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$' });
const Ipv4Schema = Type.String({ pattern: '^(\\d{1,3})(\\.\\d{1,3}){3}$' });
const HostPortSchema = Type.String({ pattern: '^(\\d{1,3})(\\.\\d{1,3}){3}:\\d{1,5}$' });

/** agent.json: everything an agent starts with but its secrets. */
export const AgentSpecSchema = Type.Object(
  {
    id: AgentIdSchema,
    cluster: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$' }),
    bind: Ipv4Schema,
    basePort: Type.Integer({ minimum: 1024, maximum: 65532 }),
    join: Type.Array(HostPortSchema, { maxItems: 16 }),
    isCore: Type.Boolean(),
    bootstrapExpect: Type.Integer({ minimum: 0, maximum: 7 }),
    joinTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
    gossipProbeIntervalMs: Type.Integer({ minimum: 20, maximum: 60_000 }),
    /** Serve the HTTP API over TLS, with the certificate and key given at start (secrets/tls/<id>.crt|key). */
    tls: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AgentSpec = Static<typeof AgentSpecSchema>;
const agentSpecCheck = compileSchema(AgentSpecSchema);

/** Refuses a spec that cannot work, before anything is written: each reason says which flag to change. */
export function checkAgentSpec(spec: AgentSpec): void {
  const problem = agentSpecCheck.problem(spec);
  if (problem !== undefined) throw new CcmError('invalid_argument', `bad agent settings: ${problem}`);
  if (spec.bind.split('.').some((o) => Number(o) > 255)) throw new CcmError('invalid_argument', `--bind ${spec.bind} is not an IPv4 address`);
  if (spec.bootstrapExpect > 0 && !spec.isCore) throw new CcmError('invalid_argument', '--bootstrap-expect is for core agents: add --core');
  if (spec.isCore && spec.bootstrapExpect === 0) {
    throw new CcmError('invalid_argument', '--core needs --bootstrap-expect N: the core forms once N core agents have joined (the same N on each)');
  }
  for (const seed of spec.join) {
    const port = Number(seed.slice(seed.lastIndexOf(':') + 1));
    if (port < 1024 + SEED_HTTP_OFFSET || port > 65535) throw new CcmError('invalid_argument', `--join ${seed}: the port must be a seed's gossip port (its base port + 2)`);
  }
  checkLocalAddress(spec.bind);
}

/** The bind address must be one of this host's own (a typo would otherwise fail late, or bind elsewhere). */
export function checkLocalAddress(host: string): void {
  const local = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === 'IPv4')
    .map((a) => a.address);
  if (!local.includes(host)) {
    throw new CcmError('invalid_argument', `--bind ${host} is not an address of this host (its IPv4 addresses: ${local.join(', ') || 'none'}); an agent binds and advertises one of its own addresses`);
  }
}

/** Where an agent's secrets are kept, in the layout the node reads (cluster-secrets.ts). */
export function agentSecretPaths(dir: string): SecretPaths {
  const secrets = path.join(dir, 'secrets');
  const tlsDir = path.join(secrets, 'tls');
  return {
    dir: secrets,
    keyring: path.join(secrets, 'keyring.json'),
    clientToken: path.join(secrets, 'client.token'),
    adminToken: path.join(secrets, 'admin.token'),
    tlsDir,
    caCert: path.join(tlsDir, 'ca.crt'),
    caKey: path.join(tlsDir, 'ca.key'),
  };
}

/** Where the agent's secrets come from: files named by flags, else the environment, else the cluster's home. */
export interface AgentSecretSources {
  keyringFile?: string;
  /** The agent's HTTPS certificate and key (PEM), and the CA that signed every agent's (to ask seeds over HTTPS). */
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  tokenFile?: string;
  adminTokenFile?: string;
  env: NodeJS.ProcessEnv;
  /**
   * The cluster's directory under the ccm home (<home>/<name>): its secrets/ (made on first use, as `ccm up` makes
   * them) serve when neither a file nor the environment gives them, so agents sharing a home (one host, or a shared
   * directory) share a key and tokens, and the CLI finds the token there too.
   */
  home?: ClusterPaths;
}

export interface AgentSecrets {
  keyring: KeyringData;
  token: string;
  adminToken: string;
  tls?: { cert: string; key: string; ca: string };
}

/**
 * The cluster key (a keyring.json as `ccm up` writes it, or a file holding one base64 key; or CCM_CLUSTER_KEY) and
 * the API tokens (--token-file or CCM_TOKEN; the admin token from --admin-token-file or CCM_ADMIN_TOKEN, else the
 * client token). Never from a command-line value.
 */
export async function readAgentSecrets(src: AgentSecretSources): Promise<AgentSecrets> {
  const home = src.home;
  const fromHome =
    home && (src.keyringFile === undefined && !src.env.CCM_CLUSTER_KEY || (src.tokenFile === undefined && !src.env.CCM_TOKEN))
      ? await withClusterLock(home, () => ensureClusterSecrets(home))
      : null;
  let keyring: KeyringData;
  if (src.keyringFile !== undefined) {
    const text = readSecretText(src.keyringFile, '--keyring-file');
    keyring = keyringFromText(text, src.keyringFile);
  } else if (src.env.CCM_CLUSTER_KEY) {
    keyring = keyringFromText(src.env.CCM_CLUSTER_KEY, 'CCM_CLUSTER_KEY');
  } else if (fromHome) {
    keyring = keyringFromText(readSecretText(fromHome.keyring, 'the cluster keyring'), fromHome.keyring);
  } else {
    throw new CcmError('invalid_argument', `an agent needs the cluster key: --keyring-file <file> or CCM_CLUSTER_KEY (a base64 256-bit key; make one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"; e.g. ${generateKey().slice(0, 6)}...)`);
  }
  const homeTokens = fromHome ? readTokens(fromHome) : null;
  const token = src.tokenFile !== undefined ? readSecretText(src.tokenFile, '--token-file') : (src.env.CCM_TOKEN ?? homeTokens?.client);
  if (!token) throw new CcmError('invalid_argument', 'an agent needs the API token: --token-file <file> or CCM_TOKEN (the same on every agent)');
  const homeAdmin = homeTokens && token === homeTokens.client ? homeTokens.admin : undefined;
  const admin = src.adminTokenFile !== undefined ? readSecretText(src.adminTokenFile, '--admin-token-file') : (src.env.CCM_ADMIN_TOKEN ?? homeAdmin ?? token);
  for (const [what, t] of [['token', token], ['admin token', admin]] as const) {
    if (!/^[A-Za-z0-9._~+/=-]{16,512}$/.test(t)) throw new CcmError('invalid_argument', `the ${what} must be 16-512 characters of base64url/base64 (no spaces)`);
  }
  const tlsFiles = [src.certFile, src.keyFile, src.caFile];
  if (tlsFiles.some((f) => f !== undefined) && !tlsFiles.every((f) => f !== undefined)) {
    throw new CcmError('invalid_argument', 'an agent that serves HTTPS needs all three: --cert-file, --key-file and --ca-file');
  }
  const tls = src.certFile && src.keyFile && src.caFile
    ? { cert: readPem(src.certFile, '--cert-file', 'CERTIFICATE'), key: readPem(src.keyFile, '--key-file', 'PRIVATE KEY'), ca: readPem(src.caFile, '--ca-file', 'CERTIFICATE') }
    : undefined;
  return { keyring, token, adminToken: admin, ...(tls ? { tls } : {}) };
}

function readPem(file: string, flag: string, kind: string): string {
  const text = readSecretText(file, flag) + '\n';
  if (!text.includes(`-----BEGIN `) || !text.includes(kind)) throw new CcmError('invalid_argument', `${flag} ${file} holds no PEM ${kind}`);
  return text;
}

function readSecretText(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CcmError('invalid_argument', `${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function keyringFromText(text: string, source: string): KeyringData {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new CcmError('invalid_argument', `${source} is not valid JSON (a keyring.json) nor a base64 key`);
    }
    const problem = keyringProblem(value);
    if (problem) throw new CcmError('invalid_argument', `${source} is not a keyring: ${problem}`);
    return value as KeyringData;
  }
  try {
    parseKey(trimmed);
  } catch (err) {
    throw new CcmError('invalid_argument', `${source}: ${(err as Error).message}`);
  }
  return { version: 1, primary: trimmed, keys: [trimmed] };
}

export function agentSpecPath(dir: string): string {
  return path.join(dir, 'agent.json');
}

export function agentPidPath(dir: string): string {
  return path.join(dir, 'agent.pid');
}

/** An agent already running in `dir` (its pid), or null. */
export function runningAgentPid(dir: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(agentPidPath(dir), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isPidAlive(pid)) return null;
  try {
    // A pid reused by another program is not our agent.
    if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('agent')) return null;
  } catch {
    // no /proc: trust the signal
  }
  return pid;
}

/** Writes agent.json and the secrets into the agent's directory (created 0700 if new). */
export function writeAgentFiles(dir: string, spec: AgentSpec, secrets: AgentSecrets): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = agentSecretPaths(dir);
  // The agent's own copy of the keyring (node data dir) wins over this file when newer: a rotation it took part in.
  writeSecretFile(s.keyring, JSON.stringify(secrets.keyring, null, 2) + '\n');
  writeSecretFile(s.clientToken, secrets.token + '\n');
  writeSecretFile(s.adminToken, secrets.adminToken + '\n');
  if (secrets.tls) {
    writeSecretFile(path.join(s.tlsDir, `${spec.id}.crt`), secrets.tls.cert);
    writeSecretFile(path.join(s.tlsDir, `${spec.id}.key`), secrets.tls.key);
    writeSecretFile(s.caCert, secrets.tls.ca);
  }
  fs.writeFileSync(agentSpecPath(dir), JSON.stringify(spec, null, 2) + '\n');
}

/** Reads agent.json (input from disk: checked like any other). */
export function readAgentSpec(dir: string): AgentSpec {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(agentSpecPath(dir), 'utf8'));
  } catch (err) {
    throw new CcmError('failed_precondition', `cannot read ${agentSpecPath(dir)}: ${(err as Error).message}`);
  }
  const problem = agentSpecCheck.problem(value);
  if (problem !== undefined) throw new CcmError('failed_precondition', `${agentSpecPath(dir)} is damaged: ${problem}`);
  return value as AgentSpec;
}

/** What an agent publishes in its gossip meta (`agent`), so that others can reach it and count core agents. */
export interface AgentMeta {
  ports: { http: number; peer: number; etcd?: number };
  core: boolean;
}

const AgentMetaSchema = Type.Object({
  ports: Type.Object({
    http: Type.Integer({ minimum: 1, maximum: 65535 }),
    peer: Type.Integer({ minimum: 1, maximum: 65535 }),
    etcd: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  }),
  core: Type.Boolean(),
});
const agentMetaCheck = compileSchema(AgentMetaSchema);

/** A member's agent meta if it is well formed (it came from the network), else null. */
export function agentMetaOf(meta: unknown): AgentMeta | null {
  const value = (meta as { agent?: unknown } | null)?.agent;
  return agentMetaCheck.check(value) ? (value as AgentMeta) : null;
}

/** A member's peer address from its gossip address and agent meta; null if it is not an agent's. */
export function agentPeerAddress(id: string, gossipAddress: string, meta: unknown): PeerAddress | null {
  const agent = agentMetaOf(meta);
  const at = gossipAddress.lastIndexOf(':');
  const host = gossipAddress.slice(0, at);
  const gossipPort = Number(gossipAddress.slice(at + 1));
  if (agent === null || at <= 0 || net.isIPv4(host) === false || !Number.isInteger(gossipPort) || gossipPort < 1 || gossipPort > 65535) return null;
  return { id, host, peerPort: agent.ports.peer, gossipPort };
}

/** One seed's view of the cluster: its members that are agents, with their addresses. */
export interface SeedView {
  seed: string;
  node: string;
  members: { id: string; address: string; state: string; peer: PeerAddress | null }[];
}

/** Asks a seed (its gossip address; its HTTP is two ports below) for its members, with the agent's token. */
export async function askSeed(seed: string, token: string, timeoutMs: number, ca?: string): Promise<SeedView> {
  const at = seed.lastIndexOf(':');
  const host = seed.slice(0, at);
  const port = Number(seed.slice(at + 1)) - SEED_HTTP_OFFSET;
  const view = await requestJson<unknown>({ host, port, credentials: { token, ...(ca !== undefined ? { ca } : {}) } }, 'GET', '/v1/members', undefined, { timeoutMs });
  const problem = seedAnswerCheck.problem(view);
  if (problem !== undefined) throw new CcmError('internal', `seed ${seed} answered something that is not a member list (${problem})`);
  const answer = view as SeedAnswer;
  return {
    seed,
    node: answer.node,
    members: answer.members.map((m) => ({ id: m.id, address: m.address, state: m.state, peer: agentPeerAddress(m.id, m.address, m.meta) })),
  };
}

/** What the agent takes from a seed's /v1/members (another process's answer): checked before any of it is used. */
const SeedAnswerSchema = Type.Object({
  node: Type.String({ maxLength: 256 }),
  members: Type.Array(
    Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }), address: Type.String({ maxLength: 300 }), state: Type.String({ maxLength: 32 }), meta: Type.Optional(Type.Unknown()) }),
    { maxItems: 10_000 },
  ),
});
type SeedAnswer = Static<typeof SeedAnswerSchema>;
const seedAnswerCheck = compileSchema(SeedAnswerSchema);

/**
 * Asks the seeds in turn until one answers, for up to `timeoutMs`; refuses an id that another live member already
 * has. A wrong token is said at once (it will not get better); an unreachable seed after the timeout.
 */
export async function resolveSeeds(spec: Pick<AgentSpec, 'id' | 'bind' | 'basePort' | 'join'>, token: string, timeoutMs: number, ca?: string): Promise<SeedView> {
  const deadline = Date.now() + timeoutMs;
  const self = `${spec.bind}:${agentPorts(spec.basePort).gossip}`;
  let last = '';
  for (;;) {
    for (const seed of spec.join) {
      if (seed === self) continue;
      try {
        const view = await askSeed(seed, token, Math.max(200, Math.min(2000, deadline - Date.now())), ca);
        const twin = view.members.find((m) => m.id === spec.id && m.address !== self && (m.state === 'alive' || m.state === 'suspect'));
        if (twin) {
          throw new CcmError('already_exists', `a node with id ${spec.id} is already ${twin.state} at ${twin.address} (as ${view.node} sees it); pick another --id`);
        }
        return view;
      } catch (err) {
        const e = err as CcmError;
        if (e.code === 'already_exists') throw e;
        if (e.code === 'unauthenticated' || e.code === 'permission_denied') {
          throw new CcmError('unauthenticated', `seed ${seed} refused the token: ${e.message} (give the cluster's token with --token-file or CCM_TOKEN)`);
        }
        last = `${seed}: ${e.message}`;
      }
    }
    if (spec.join.every((s) => s === self)) throw new CcmError('invalid_argument', '--join names only this agent itself');
    if (Date.now() >= deadline) {
      throw new CcmError('unavailable', `no seed answered within ${Math.round(timeoutMs / 1000)} s (last: ${last}); check --join (a seed's gossip address, host:base+2) and that it runs`);
    }
    await new Promise((r) => setTimeout(r, Math.min(300, Math.max(0, deadline - Date.now()))));
  }
}
