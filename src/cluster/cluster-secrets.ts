import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { registerCredentials, type ApiCredentials } from '../client/api-access.js';
import type { EtcdTls } from '../etcd-core/etcd-rpc.js';
import { CcmError } from '../errors/ccm-error.js';
import type { ClusterPaths } from './cluster-dir.js';

/**
 * A cluster's secrets, in `<cluster dir>/secrets/` (mode 0700, each file 0600, readable by its owner only):
 *   keyring.json        the peer keys (AES-256-GCM), primary first; nodes seal every TCP frame and datagram with it
 *   client.token        the bearer token the HTTP API asks of every client request
 *   admin.token         the token /admin/* (and core membership changes) ask for
 *   tls/ca.crt, ca.key  with `ccm up --tls`: the cluster's CA, and each node's certificate and key (tls/<id>.crt|key)
 *   etcd/               with `ccm up --etcd-endpoints` on an etcd that asks for them: the user's password, the CA of
 *                       its members' certificates, a client certificate and key (password, ca.crt, client.crt|key)
 * Whoever can read these files is the cluster's owner: the CLI reads them, so nothing changes for a user of it.
 */
export interface SecretPaths {
  dir: string;
  keyring: string;
  clientToken: string;
  adminToken: string;
  tlsDir: string;
  caCert: string;
  caKey: string;
}

/** Where a node finds what it reaches an existing etcd with (node config's `etcd`; files in secrets/etcd/). */
export interface EtcdConnection {
  endpoints: string[];
  user?: string;
  passwordFile?: string;
  tls?: { ca: string; cert?: string; key?: string };
}

/** The credentials of an existing etcd cluster, read (PEM contents for TLS). */
export interface EtcdAccess {
  auth?: { username: string; password: string };
  tls?: EtcdTls;
}

export interface ClusterTokens {
  client: string;
  admin: string;
}

const TOKEN_BYTES = 32;

export function secretPaths(paths: ClusterPaths): SecretPaths {
  const dir = path.join(paths.dir, 'secrets');
  const tlsDir = path.join(dir, 'tls');
  return {
    dir,
    keyring: path.join(dir, 'keyring.json'),
    clientToken: path.join(dir, 'client.token'),
    adminToken: path.join(dir, 'admin.token'),
    tlsDir,
    caCert: path.join(tlsDir, 'ca.crt'),
    caKey: path.join(tlsDir, 'ca.key'),
  };
}

export function nodeCertPaths(secrets: SecretPaths, id: string): { cert: string; key: string } {
  return { cert: path.join(secrets.tlsDir, `${id}.crt`), key: path.join(secrets.tlsDir, `${id}.key`) };
}

/** A random bearer token (base64url, 256 bits). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Writes a secret atomically, readable by its owner only (0600), in a 0700 directory. */
export function writeSecretFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(file), 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Creates whatever secrets the cluster lacks (a new cluster, or one made before they existed). Keeps existing ones. */
export function ensureClusterSecrets(paths: ClusterPaths): SecretPaths {
  const s = secretPaths(paths);
  fs.mkdirSync(s.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(s.dir, 0o700);
  if (!fs.existsSync(s.keyring)) {
    // A fresh ring of one random 256-bit key (its format: net/keyring.ts, KeyringData).
    const key = randomBytes(32).toString('base64');
    writeSecretFile(s.keyring, JSON.stringify({ version: 1, primary: key, keys: [key] }, null, 2) + '\n');
  }
  if (!fs.existsSync(s.clientToken)) writeSecretFile(s.clientToken, generateToken() + '\n');
  if (!fs.existsSync(s.adminToken)) writeSecretFile(s.adminToken, generateToken() + '\n');
  return s;
}

/** The cluster's tokens, or null when this process cannot read them (another user, another host). */
export function readClusterTokens(paths: ClusterPaths): ClusterTokens | null {
  return readTokens(secretPaths(paths));
}

export function readTokens(s: SecretPaths): ClusterTokens | null {
  const client = readTokenFile(s.clientToken);
  const admin = readTokenFile(s.adminToken);
  return client !== null && admin !== null ? { client, admin } : null;
}

function readTokenFile(file: string): string | null {
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token.length > 0 ? token : null;
  } catch {
    return null;
  }
}

/** The cluster CA's certificate (PEM) when the cluster serves HTTPS and this process can read it. */
export function readCaCert(paths: ClusterPaths): string | null {
  try {
    return fs.readFileSync(secretPaths(paths).caCert, 'utf8');
  } catch {
    return null;
  }
}

/**
 * What this process (the owner: it can read secrets/) authenticates to the cluster's nodes with, registered for
 * their addresses so that every request of the CLI carries it (see client/api-access.ts).
 */
export function registerClusterCredentials(paths: ClusterPaths, host: string, httpPorts: readonly number[], isTls: boolean): ApiCredentials {
  const tokens = readClusterTokens(paths);
  const ca = isTls ? readCaCert(paths) : null;
  const credentials: ApiCredentials = { ...(tokens ? { token: tokens.client, adminToken: tokens.admin } : {}), ...(ca ? { ca } : {}) };
  registerCredentials(
    httpPorts.map((port) => ({ host, port })),
    credentials,
  );
  return credentials;
}

function etcdSecretFiles(s: SecretPaths): { dir: string; password: string; ca: string; cert: string; key: string } {
  const dir = path.join(s.dir, 'etcd');
  return { dir, password: path.join(dir, 'password'), ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'client.crt'), key: path.join(dir, 'client.key') };
}

/**
 * Keeps an existing etcd's credentials in secrets/etcd/ (0600; the old ones removed), so that nodes read them there:
 * the password never appears in a node's argv or in cluster.json. Returns what cluster.json records (no secret).
 */
export function writeEtcdAccess(s: SecretPaths, access: EtcdAccess): { user?: string; tls?: { clientCert: boolean } } {
  const files = etcdSecretFiles(s);
  fs.rmSync(files.dir, { recursive: true, force: true });
  if (access.auth) writeSecretFile(files.password, access.auth.password);
  if (access.tls) {
    writeSecretFile(files.ca, access.tls.ca.toString('utf8'));
    if (access.tls.cert && access.tls.key) {
      writeSecretFile(files.cert, access.tls.cert.toString('utf8'));
      writeSecretFile(files.key, access.tls.key.toString('utf8'));
    }
  }
  return { ...(access.auth ? { user: access.auth.username } : {}), ...(access.tls ? { tls: { clientCert: access.tls.cert !== undefined } } : {}) };
}

/** Where a node finds an etcd's credentials, from what cluster.json records of them. */
export function etcdConnection(s: SecretPaths, record: { endpoints: string[]; user?: string; tls?: { clientCert: boolean } }): EtcdConnection {
  const files = etcdSecretFiles(s);
  return {
    endpoints: record.endpoints,
    ...(record.user !== undefined ? { user: record.user, passwordFile: files.password } : {}),
    ...(record.tls ? { tls: { ca: files.ca, ...(record.tls.clientCert ? { cert: files.cert, key: files.key } : {}) } } : {}),
  };
}

/** Reads the credentials a connection names (a clear error naming a file that cannot be read). */
export function loadEtcdAccess(c: EtcdConnection): EtcdAccess {
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new CcmError('failed_precondition', `cannot read the etcd ${what} (${file}): ${(err as Error).message}`);
    }
  };
  return {
    ...(c.user !== undefined && c.passwordFile ? { auth: { username: c.user, password: read(c.passwordFile, 'password').toString('utf8') } } : {}),
    ...(c.tls ? { tls: { ca: read(c.tls.ca, 'CA certificate'), ...(c.tls.cert && c.tls.key ? { cert: read(c.tls.cert, 'client certificate'), key: read(c.tls.key, 'client key') } : {}) } } : {}),
  };
}
