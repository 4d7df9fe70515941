import http from 'node:http';
import https from 'node:https';
import type { Endpoint } from './http-json.js';
import { accessLevel } from '../api/access-policy.js';

/**
 * How this process authenticates to a cluster's HTTP API, in one place for every request it makes (the typed
 * client, watch streams, `ccm status`, chaos, the launcher's readiness checks).
 *
 * Credentials are found, in order: given with the endpoint (`CcmClient` options, a user's program); a token given
 * explicitly for the whole process (`--token`, `CCM_TOKEN`); or the ones registered for the node's address when
 * this process read the cluster's files (the CLI reads cluster.json and secrets/ for every command: nothing changes
 * for a user of the CLI). An admin route gets the admin token when there is one, and the client token otherwise
 * (an explicit token is used for both: it may be the admin token).
 */
export interface ApiCredentials {
  /** Sent as `Authorization: Bearer` to /v1 (and /admin when there is no admin token). */
  token?: string;
  adminToken?: string;
  /** The cluster CA (PEM): when set, the node serves HTTPS and only certificates it signed are trusted. */
  ca?: string;
}

const registered = new Map<string, ApiCredentials>();
let explicitToken: string | undefined;

const originOf = (e: Endpoint): string => `${e.host}:${e.port}`;

/** Remembers the credentials of a cluster's nodes (called when this process reads the cluster's files). */
export function registerCredentials(endpoints: readonly Endpoint[], credentials: ApiCredentials): void {
  for (const e of endpoints) registered.set(originOf(e), credentials);
}

/** One token for every request of this process (`--token`, `CCM_TOKEN`); undefined to go back to the cluster's files. */
export function setExplicitToken(token: string | undefined): void {
  explicitToken = token === undefined || token.length === 0 ? undefined : token;
}

export function explicitTokenOf(): string | undefined {
  return explicitToken;
}

/** The credentials a request to `endpoint` goes with. */
export function credentialsFor(endpoint: Endpoint & { credentials?: ApiCredentials }): ApiCredentials {
  const own = endpoint.credentials ?? registered.get(originOf(endpoint)) ?? {};
  if (explicitToken === undefined) return own;
  return { ...own, token: explicitToken, adminToken: own.adminToken ?? explicitToken };
}

/** The headers that authenticate a request, and say its body is JSON (every write carries it: browsers cannot). */
export function apiHeaders(endpoint: Endpoint & { credentials?: ApiCredentials }, method: string, path: string): Record<string, string> {
  const creds = credentialsFor(endpoint);
  const level = accessLevel(method, path.split('?')[0]);
  const token = level === 'admin' ? (creds.adminToken ?? creds.token) : creds.token;
  const headers: Record<string, string> = {};
  if (token && level !== 'open') headers.authorization = `Bearer ${token}`;
  if (method !== 'GET' && method !== 'HEAD') headers['content-type'] = 'application/json';
  return headers;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000 });
const httpsAgents = new Map<string, https.Agent>();

/** `http` or `https` (trusting only the cluster's CA), and a keep-alive agent for it. */
type Send = (options: https.RequestOptions, onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest;

export function transportFor(endpoint: Endpoint & { credentials?: ApiCredentials }): { request: Send; get: Send; agent: http.Agent; protocol: 'http:' | 'https:' } {
  const ca = credentialsFor(endpoint).ca;
  if (ca === undefined) return { request: http.request, get: http.get, agent: httpAgent, protocol: 'http:' };
  let agent = httpsAgents.get(ca);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000, ca });
    httpsAgents.set(ca, agent);
  }
  return { request: https.request, get: https.get, agent, protocol: 'https:' };
}

/** A streaming GET (watches) with the request's credentials, over http or https. */
export function apiGet(endpoint: Endpoint & { credentials?: ApiCredentials }, path: string, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  const t = transportFor(endpoint);
  // Streams get their own connection: a long poll must not hold a pooled socket others wait for.
  return t.get({ host: endpoint.host, port: endpoint.port, path, protocol: t.protocol, agent: false, ca: credentialsFor(endpoint).ca, headers: apiHeaders(endpoint, 'GET', path) }, onResponse);
}
