import type { HttpServer } from '../../net/http-server.js';
import type { NodeRuntime } from '../node-runtime.js';
import { eventsQuery } from './route-schemas.js';

/** /v1: the client API. */
export function registerClientRoutes(http: HttpServer, node: NodeRuntime): void {
  http.route('GET', '/v1/status', () => node.status());
  http.route('GET', '/v1/events', ({ q }) => node.log.recentEvents(Number(q.since ?? 0) || 0), { query: eventsQuery });
}
