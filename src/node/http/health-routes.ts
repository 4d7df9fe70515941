import type { HttpServer } from '../../net/http-server.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import { anyObjectBody } from './route-schemas.js';

/**
 * The health monitor's HTTP API:
 *   GET    /v1/health                 this node's checks and every member's gossiped summary (NodeHealthView)
 *   GET    /v1/health/checks          this node's checks (HealthCheckView[])
 *   PUT    /admin/health/checks/:name {"http"|"tcp"|"command": ..., "intervalMs", "timeoutMs"} → HealthCheckView after its first run
 *                                    (or 3 s); bad → 400
 *   DELETE /admin/health/checks/:name → {node, removed}; unknown → 404
 */
export function registerHealthRoutes(http: HttpServer, monitor: HealthMonitor): void {
  http.route('GET', '/v1/health', () => monitor.healthView());
  http.route('GET', '/v1/health/checks', () => monitor.checkViews());
  http.route('PUT', '/admin/health/checks/:name', ({ params, body }) => monitor.addUserCheckAndRun(params.name, body), { body: anyObjectBody });
  http.route('DELETE', '/admin/health/checks/:name', ({ params }) => monitor.removeUserCheck(params.name));
}
