import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { accessLevel, TOKEN_HEADER } from '../../api/access-policy.js';
import { CcmError } from '../../errors/ccm-error.js';

/** What the API's door checks a request against. */
export interface ApiGuardConfig {
  clientToken: string;
  adminToken: string;
  /** The address the node serves on (its Host header may name it). */
  host: string;
  scheme: 'http' | 'https';
}

/**
 * The HTTP API's door, before any route runs (as Consul's ACL tokens and etcd's auth): a request needs the
 * client token (the admin token for /admin/* and core membership changes; /metrics is open, see accessLevel),
 * in `Authorization: Bearer` or `X-Ccm-Token`. And nothing a browser could send on a web page's behalf gets in:
 * the Host header must name this node (an IP address, localhost or its configured host: a DNS-rebinding name is
 * refused), an Origin header must be the node's own, every write must say `Content-Type: application/json`
 * (a cross-origin form or `text/plain` POST cannot), and no answer carries CORS headers.
 */
export function createApiGuard(config: ApiGuardConfig): (req: http.IncomingMessage, res: http.ServerResponse, path: string) => void {
  const client = digest(config.clientToken);
  const admin = digest(config.adminToken);
  const ownHost = config.host.toLowerCase();
  return (req, res, path) => {
    const method = req.method ?? 'GET';
    const hostHeader = req.headers.host;
    if (typeof hostHeader !== 'string' || !isOwnHost(hostnameOf(hostHeader), ownHost)) {
      throw new CcmError('permission_denied', `the Host header ${JSON.stringify(hostHeader ?? null)} does not name this node (use its address, e.g. ${config.host}); refused as a possible DNS-rebinding request`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${config.scheme}://${hostHeader}`) {
      throw new CcmError('permission_denied', `requests from web pages (Origin ${origin}) are refused`);
    }
    const level = accessLevel(method, path);
    if (level !== 'open') {
      const presented = tokenOf(req);
      if (presented === null) {
        res.setHeader('www-authenticate', 'Bearer realm="ccm"');
        throw new CcmError('unauthenticated', `this API needs the cluster's token (Authorization: Bearer <token>, or ${TOKEN_HEADER}); the ccm CLI reads it from the cluster directory, a script gets it from: eval "$(ccm env)"`);
      }
      const given = digest(presented);
      const isAdmin = timingSafeEqual(given, admin);
      const isClient = timingSafeEqual(given, client);
      if (!isAdmin && !isClient) {
        res.setHeader('www-authenticate', 'Bearer realm="ccm", error="invalid_token"');
        throw new CcmError('unauthenticated', "the token is not this cluster's (check CCM_TOKEN or --token)");
      }
      if (level === 'admin' && !isAdmin) throw new CcmError('permission_denied', `${method} ${path} needs the cluster's admin token (secrets/admin.token); the client token is not enough`);
    }
    if (method !== 'GET' && method !== 'HEAD' && !isJson(req.headers['content-type'])) {
      throw new CcmError('unsupported_media_type', `a ${method} needs Content-Type: application/json (got ${req.headers['content-type'] ?? 'none'})`);
    }
  };
}

function tokenOf(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = req.headers[TOKEN_HEADER];
  return typeof header === 'string' && header.length > 0 ? header.trim() : null;
}

/** Fixed-length digests, so comparing them takes the same time whatever was presented. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Whether a presented token is `expected`, compared in constant time (the etcd API's door checks with it too). */
export function tokenMatcher(expected: string): (presented: string) => boolean {
  const want = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), want);
}

function isJson(contentType: string | undefined): boolean {
  return typeof contentType === 'string' && contentType.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → the host part, lower case. */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** An IP literal cannot be rebound to us by someone else's DNS; a name must be localhost or the node's own. */
function isOwnHost(hostname: string, ownHost: string): boolean {
  return net.isIP(hostname) !== 0 || hostname === 'localhost' || hostname === ownHost;
}
