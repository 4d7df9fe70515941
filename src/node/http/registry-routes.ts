import type { HttpServer } from '../../net/http-server.js';
import { ServiceRegistry } from '../../services/service-registry.js';
import type { NodeCore } from '../core/node-core.js';
import { callOptions } from './kv-routes.js';
import { anyObjectBody, secretBody } from './route-schemas.js';

/**
 * /v1/services: register instances (tied to a lease), look them up by service (passing only, or all), list services;
 * /v1/service-instances/:id: one instance, renew its lease, deregister it. The node that takes a registration runs
 * its checks. Changes are watched with GET /v1/watch?key=/ccm/services/<service>/&prefix=true.
 */
export function registerRegistryRoutes(http: HttpServer, core: NodeCore): ServiceRegistry {
  const registry = new ServiceRegistry(core.serviceContext());
  const flag = (v: string | null): boolean => v === 'true' || v === '1';

  http.route(
    'POST',
    '/v1/services/:service/instances',
    ({ params, body, req }) => registry.register(params.service, body, { ...callOptions(req), defaultBy: `api@${req.socket.remoteAddress ?? 'unknown'}` }),
    { body: anyObjectBody },
  );
  http.route('GET', '/v1/services', ({ req }) => registry.list(callOptions(req)));
  http.route('GET', '/v1/services/:service', ({ params, query, req }) => registry.lookup(params.service, flag(query.get('all')), callOptions(req)));
  http.route('GET', '/v1/service-instances/:id', ({ params, req }) => registry.instance(params.id, callOptions(req)));
  // Renewing or deregistering needs the secret its registration returned (body "secret").
  http.route('POST', '/v1/service-instances/:id/renew', ({ params, body, req }) => registry.renew(params.id, body?.secret, callOptions(req)), { body: secretBody });
  http.route('DELETE', '/v1/service-instances/:id', ({ params, body, req }) => registry.deregister(params.id, body?.secret, callOptions(req)), { body: secretBody });
  return registry;
}
