import type { HttpServer } from '../net/http-server.js';
import type { NodeRuntime } from './node-runtime.js';

/** /v1: the client API. */
export function registerClientRoutes(http: HttpServer, node: NodeRuntime): void {
  http.route('GET', '/v1/status', () => node.status());
  http.route('GET', '/v1/events', ({ query }) => node.log.recentEvents(Number(query.get('since') ?? 0) || 0));
}
