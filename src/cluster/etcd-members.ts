/**
 * A local etcd cluster beside the nodes (`ccm up --core etcd`): one etcd process per member (e1, e2, e3), started
 * detached like the nodes, recorded in cluster.json, restarted by the supervisor and stopped by `ccm down`; its data
 * under <cluster>/etcd/<member> (so `ccm down --purge` removes it). And the reachability check of an existing etcd
 * cluster (`ccm up --etcd-endpoints`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import { EtcdRpc } from '../etcd-core/etcd-rpc.js';
import { systemScheduler } from '../time/scheduler.js';
import type { EtcdAccess } from './cluster-secrets.js';
import type { EtcdClusterView, EtcdMemberRow } from '../api/api-types.js';
import type { ClusterPaths } from './cluster-dir.js';
import type { ClusterFile, EtcdBackendRecord, EtcdMemberRecord, NodePorts } from './cluster-file.js';
import { spawnDetachedExecutable } from './detached-process.js';
import { etcdBinary } from './etcd-program.js';
import { allocatePorts } from './port-allocator.js';
import { processState } from './process-table.js';

/** Members of a local etcd cluster: three tolerate one failure, as the nodes' own core does. */
export const LOCAL_ETCD_MEMBERS = 3;
const HEALTH_TIMEOUT_MS = 1000;

export function etcdDir(paths: ClusterPaths): string {
  return path.join(paths.dir, 'etcd');
}

export function etcdMemberDataDir(paths: ClusterPaths, id: string): string {
  return path.join(etcdDir(paths), id);
}

export function etcdMemberLogPath(paths: ClusterPaths, id: string): string {
  return path.join(etcdDir(paths), `${id}.log`);
}

export function clientUrl(host: string, m: Pick<EtcdMemberRecord, 'clientPort'>): string {
  return `http://${host}:${m.clientPort}`;
}

/** A new local etcd cluster's record: free ports for each member (none of `taken`, the nodes' ports). */
export async function newLocalEtcd(host: string, taken: NodePorts[]): Promise<EtcdBackendRecord> {
  const avoid = new Set(taken.flatMap((p) => [p.http, p.peer, p.gossip, ...(p.etcd !== undefined ? [p.etcd] : [])]));
  const ports = await allocatePorts(host, LOCAL_ETCD_MEMBERS, { avoid });
  const members: EtcdMemberRecord[] = ports.map((p, i) => ({
    id: `e${i + 1}`,
    clientPort: p.http,
    peerPort: p.peer,
    pid: null,
    desired: 'running',
    paused: false,
    startedAtMs: null,
    restarts: 0,
  }));
  return { mode: 'local', endpoints: members.map((m) => clientUrl(host, m)), members };
}

/**
 * etcd's flags for one member. The initial-cluster flags only matter on the first start: a member that finds its
 * data dir rejoins the cluster it belongs to.
 */
export function etcdMemberArgs(paths: ClusterPaths, file: ClusterFile, member: EtcdMemberRecord): string[] {
  const members = file.etcd?.members ?? [];
  const peerUrl = (m: EtcdMemberRecord): string => `http://${file.host}:${m.peerPort}`;
  return [
    '--name', member.id,
    '--data-dir', etcdMemberDataDir(paths, member.id),
    '--listen-client-urls', clientUrl(file.host, member),
    '--advertise-client-urls', clientUrl(file.host, member),
    '--listen-peer-urls', peerUrl(member),
    '--initial-advertise-peer-urls', peerUrl(member),
    '--initial-cluster', members.map((m) => `${m.id}=${peerUrl(m)}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', `ccm-${file.name}-${file.createdAtMs}`,
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

/** Starts one member, detached, its output appended to etcd/<id>.log; returns its pid. */
export function spawnEtcdMember(paths: ClusterPaths, file: ClusterFile, member: EtcdMemberRecord): number {
  fs.mkdirSync(etcdDir(paths), { recursive: true, mode: 0o700 });
  return spawnDetachedExecutable(etcdBinary(), etcdMemberArgs(paths, file, member), etcdMemberLogPath(paths, member.id), `etcd member ${member.id}`);
}

/** etcd's own health endpoint: true once the member has a leader and no alarm. */
export async function isEtcdHealthy(url: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true;
  } catch {
    return false;
  }
}

/** Waits until the member says it is healthy; fails fast (with its last log lines) if its process dies. */
export async function waitUntilEtcdReady(paths: ClusterPaths, file: ClusterFile, member: EtcdMemberRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (member.pid !== null && processState(member.pid, member.id) === 'stopped') {
      throw new CcmError('unavailable', `etcd member ${member.id} exited during start-up. Its last log lines:\n${lastEtcdLogLines(paths, member.id, 6)}`);
    }
    if (await isEtcdHealthy(clientUrl(file.host, member))) return;
    if (Date.now() > deadline) {
      throw new CcmError('timeout', `etcd member ${member.id} was not healthy within ${timeoutMs} ms. Its last log lines:\n${lastEtcdLogLines(paths, member.id, 6)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function lastEtcdLogLines(paths: ClusterPaths, id: string, count: number): string {
  try {
    const lines = fs.readFileSync(etcdMemberLogPath(paths, id), 'utf8').trimEnd().split('\n').slice(-count);
    return lines.map((l) => `  ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`).join('\n') || '  (empty log)';
  } catch {
    return '  (no log)';
  }
}

/** Parses `--etcd-endpoints URL,…` (http(s)://host:port each); a bad one is refused before anything is started. */
export function parseEtcdEndpoints(text: string): string[] {
  const urls = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new CcmError('invalid_argument', '--etcd-endpoints needs at least one URL, e.g. http://10.0.0.5:2379');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new CcmError('invalid_argument', `--etcd-endpoints: "${u}" is not a URL (give http://host:port)`);
    }
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.port === '' || (parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search) {
      throw new CcmError('invalid_argument', `--etcd-endpoints: "${u}" must be http(s)://host:port`);
    }
  }
  return [...new Set(urls.map((u) => u.replace(/\/$/, '')))];
}

/** `--core N` (Raft voters), `--core etcd` (a local etcd cluster) or `--etcd-endpoints URL,…` (an existing one). */
export function parseCoreChoice(
  core: string | undefined,
  endpoints: string | undefined,
  access: EtcdAccessFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): { core?: number; etcd?: { local: true } | { endpoints: string[]; access: EtcdAccess } } {
  if (endpoints !== undefined) {
    if (core !== undefined) throw new CcmError('invalid_argument', '--etcd-endpoints runs the services on that etcd cluster: give no --core with it');
    const urls = parseEtcdEndpoints(endpoints);
    return { etcd: { endpoints: urls, access: parseEtcdAccess(urls, access, env) } };
  }
  const given = Object.entries(access).find(([, v]) => v !== undefined);
  if (given) throw new CcmError('invalid_argument', `--etcd-${given[0] === 'passwordFile' ? 'password-file' : given[0]} is for an existing etcd cluster: give --etcd-endpoints with it`);
  if (core === undefined) return {};
  if (core === 'etcd') return { etcd: { local: true } };
  if (!/^[0-9]+$/.test(core)) throw new CcmError('invalid_argument', `--core takes a number of Raft voters (odd, 1-7) or etcd (got "${core}")`);
  return { core: Number(core) };
}

/** What `ccm up` is given to reach an etcd that asks for a user or TLS (the password never from argv). */
export interface EtcdAccessFlags {
  user?: string;
  passwordFile?: string;
  cacert?: string;
  cert?: string;
  key?: string;
}

/**
 * The credentials for an existing etcd cluster: the user's password from CCM_ETCD_PASSWORD or --etcd-password-file,
 * PEM files read now. Every inconsistency is refused before anything is started.
 */
export function parseEtcdAccess(endpoints: string[], flags: EtcdAccessFlags, env: NodeJS.ProcessEnv = process.env): EtcdAccess {
  const https = endpoints.filter((u) => u.startsWith('https://'));
  if (https.length > 0 && https.length < endpoints.length) throw new CcmError('invalid_argument', '--etcd-endpoints: give every endpoint as https:// or every one as http://, not a mix');
  if (https.length > 0 && flags.cacert === undefined) {
    throw new CcmError('invalid_argument', `--etcd-endpoints ${https[0]} is https: give the CA that signed the members' certificates (--etcd-cacert ca.pem)`);
  }
  if (https.length === 0 && (flags.cacert ?? flags.cert ?? flags.key) !== undefined) {
    throw new CcmError('invalid_argument', '--etcd-cacert, --etcd-cert and --etcd-key are for https:// endpoints (the ones given are http://)');
  }
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CcmError('invalid_argument', '--etcd-cert and --etcd-key go together (a client certificate and its key)');
  const envPassword = env.CCM_ETCD_PASSWORD;
  if (flags.passwordFile !== undefined && envPassword !== undefined && envPassword !== '') {
    throw new CcmError('invalid_argument', 'the etcd password is given twice (CCM_ETCD_PASSWORD and --etcd-password-file): give one');
  }
  const password = flags.passwordFile !== undefined ? readGiven(flags.passwordFile, '--etcd-password-file').toString('utf8').replace(/\r?\n$/, '') : envPassword;
  if (flags.user === undefined && flags.passwordFile !== undefined) throw new CcmError('invalid_argument', '--etcd-password-file is the password of --etcd-user: give the user too');
  if (flags.user !== undefined) {
    if (flags.user.length === 0 || flags.user.length > 256 || /[\s:]/.test(flags.user)) throw new CcmError('invalid_argument', `--etcd-user "${flags.user}" is not a user name`);
    if (password === undefined || password === '') {
      throw new CcmError('invalid_argument', `--etcd-user ${flags.user} needs its password: set CCM_ETCD_PASSWORD or give --etcd-password-file (never on the command line: ps shows it)`);
    }
  }
  const pem = (file: string, flag: string): Buffer => {
    const b = readGiven(file, flag);
    if (!b.toString('utf8').includes('-----BEGIN ')) throw new CcmError('invalid_argument', `${flag} ${file} is not a PEM file`);
    return b;
  };
  return {
    ...(flags.user !== undefined ? { auth: { username: flags.user, password: password! } } : {}),
    ...(flags.cacert !== undefined ? { tls: { ca: pem(flags.cacert, '--etcd-cacert'), ...(flags.cert && flags.key ? { cert: pem(flags.cert, '--etcd-cert'), key: pem(flags.key, '--etcd-key') } : {}) } } : {}),
  };
}

function readGiven(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CcmError('invalid_argument', `${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/**
 * Insists an existing etcd cluster answers, as the nodes will reach it: over TLS when its endpoints are https, as
 * its user when one is given (a wrong password is refused here, naming the user). Nothing is started before.
 */
export async function checkEtcdEndpoints(endpoints: string[], access: EtcdAccess = {}, timeoutMs = 5000): Promise<void> {
  const rpc = new EtcdRpc(endpoints, systemScheduler, access.auth, access.tls);
  const deadline = systemScheduler.now() + timeoutMs;
  try {
    await rpc.connect(deadline);
    await rpc.call('KV', 'Range', { key: Buffer.from('/ccm/').toString('base64'), count_only: true }, deadline, true);
  } catch (err) {
    const e = err instanceof CcmError ? err : new CcmError('internal', String(err));
    if (e.code === 'unauthenticated') {
      throw new CcmError('unauthenticated', `etcd at ${endpoints.join(', ')} refused user ${access.auth?.username ?? '(none)'}: ${e.message}${access.auth ? ' (check CCM_ETCD_PASSWORD or --etcd-password-file)' : ' (it asks for a user: give --etcd-user)'}; nothing was started`);
    }
    if (e.code === 'permission_denied') {
      throw new CcmError('permission_denied', `etcd at ${endpoints.join(', ')}: user ${access.auth?.username ?? '(none)'} may not read ccm's keys (/ccm/): ${e.message}; grant it a role with readwrite on them; nothing was started`);
    }
    throw new CcmError(
      'unavailable',
      `no etcd endpoint answered within ${timeoutMs} ms (${endpoints.join(', ')}): ${e.message}. Check the URLs, that the etcd cluster runs (etcdctl --endpoints ${endpoints.join(',')} endpoint health)${access.tls ? ', and that --etcd-cacert signed its certificates' : ''}; nothing was started`,
    );
  } finally {
    rpc.close();
  }
}

/** One member's own status, from etcd's JSON gateway (POST /v3/maintenance/status): its id and the leader's. */
async function memberStatus(url: string, timeoutMs: number): Promise<{ memberId: string; leader: string; raftIndex: number } | null> {
  try {
    const res = await fetch(`${url}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { header?: { member_id?: string }; leader?: string; raftIndex?: string };
    if (typeof body.header?.member_id !== 'string' || typeof body.leader !== 'string') return null;
    return { memberId: body.header.member_id, leader: body.leader, raftIndex: Number(body.raftIndex ?? 0) };
  } catch {
    return null;
  }
}

/** The local member that leads the etcd cluster now (the one whose own id its peers name as leader), or null. */
export async function localEtcdLeader(file: ClusterFile, timeoutMs = 800): Promise<string | null> {
  const members = file.etcd?.members ?? [];
  const answers = await Promise.all(members.map(async (m) => ({ m, s: await memberStatus(clientUrl(file.host, m), timeoutMs) })));
  return answers.find((a) => a.s !== null && a.s.leader === a.s.memberId)?.m.id ?? null;
}

/** What a node's GET /v1/core/status answers when its core is etcd (node/http/core-routes.ts). */
interface EtcdCoreStatusBody {
  core?: string;
  etcd?: { endpoints: string[]; members: { name: string; endpoint: string; healthy: boolean; leader: boolean; raftIndex: number; raftTerm: number; dbSizeBytes: number; version: string; error?: string }[] };
}

/**
 * The etcd members as `ccm status` shows them: etcd's own view of each (health, leader, raft index), asked through
 * the first node that answers (its core is connected to etcd), beside the process state of the local members.
 */
export async function etcdClusterView(file: ClusterFile, askNode: (id: string) => Promise<unknown>, answering: string[]): Promise<EtcdClusterView | undefined> {
  const etcd = file.etcd;
  if (!etcd) return undefined;
  let reported: NonNullable<EtcdCoreStatusBody['etcd']>['members'] | null = null;
  let error: string | undefined;
  for (const id of answering) {
    try {
      const body = (await askNode(id)) as EtcdCoreStatusBody;
      if (body.etcd) {
        reported = body.etcd.members;
        break;
      }
    } catch (err) {
      error = `${id}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  if (reported === null) error = answering.length === 0 ? 'no node answered (the members\' own status comes through a node)' : (error ?? 'no node reported the etcd members');
  const rows: EtcdMemberRow[] = (reported ?? []).map((m) => {
    const local = etcd.members.find((x) => x.id === m.name);
    return {
      name: m.name,
      endpoint: m.endpoint,
      ...(local ? { state: processState(local.pid, local.id), pid: local.pid } : {}),
      healthy: m.healthy,
      leader: m.leader,
      // A member that did not answer its status has no figures (etcd-core reports zeros for it).
      raftIndex: m.error ? null : m.raftIndex,
      raftTerm: m.error ? null : m.raftTerm,
      dbSizeBytes: m.error ? null : m.dbSizeBytes,
      version: m.error ? null : m.version || null,
      ...(m.error ? { error: m.error } : {}),
    };
  });
  // Local members etcd did not list (or nothing was reported): their process state alone.
  for (const local of etcd.members) {
    if (rows.some((r) => r.name === local.id)) continue;
    rows.push({ name: local.id, endpoint: clientUrl(file.host, local), state: processState(local.pid, local.id), pid: local.pid, healthy: null, leader: false, raftIndex: null, raftTerm: null, dbSizeBytes: null, version: null });
  }
  rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { mode: etcd.mode, endpoints: etcd.endpoints, members: rows, ...(error ? { error } : {}) };
}
