/** Which credentials each part of the HTTP API needs: the node's guard enforces it, the client follows it. */

/** The header a token may also come in (for tools that keep Authorization for something else). */
export const TOKEN_HEADER = 'x-ccm-token';

export type AccessLevel = 'open' | 'client' | 'admin';

/**
 * What a request needs: /metrics is open (Prometheus scrapes it, as etcd serves it by default; it shows
 * counts, never keys or values); /admin/* and changes to the core's membership or leadership need the admin
 * token; everything else the client token.
 */
export function accessLevel(method: string, path: string): AccessLevel {
  if (path === '/metrics' && (method === 'GET' || method === 'HEAD')) return 'open';
  if (path.startsWith('/admin/') || path === '/admin') return 'admin';
  if (method !== 'GET' && (path === '/v1/core/members' || path === '/v1/core/transfer-leader')) return 'admin';
  return 'client';
}
