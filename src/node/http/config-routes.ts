import type http from 'node:http';
import { CcmError } from '../../errors/ccm-error.js';
import type { HttpServer } from '../../net/http-server.js';
import { ConfigManager } from '../../services/config-manager.js';
import { validateConfigName } from '../../services/config-values.js';
import type { ConfigMirror } from '../core/config-mirror.js';
import type { NodeCore } from '../core/node-core.js';
import { callOptions } from './kv-routes.js';
import type { NodeRuntime } from '../node-runtime.js';
import { configSetBody, importBody, rollbackBody } from './route-schemas.js';

/**
 * /v1/config: typed, versioned configuration (get, list, set, delete, history, rollback); /v1/config-import and
 * /v1/config-export for whole documents; /v1/config-mirror for this node's local copy and its config revision.
 * Changes are watched with GET /v1/watch?key=/ccm/config/<name prefix>&prefix=true (values are JSON records).
 */
export function registerConfigRoutes(http: HttpServer, node: NodeRuntime, core: NodeCore, mirror: ConfigMirror): ConfigManager {
  const config = new ConfigManager(core.serviceContext());
  const writeOptions = (req: http.IncomingMessage) => ({ ...callOptions(req), defaultBy: `api@${req.socket.remoteAddress ?? 'unknown'}` });

  http.route('GET', '/v1/config', ({ query, req }) => config.list(query.get('prefix') ?? '', callOptions(req)));
  http.route('GET', '/v1/config/:name', ({ params, query, req }) => {
    if (query.get('local') !== 'true') return config.get(params.name, callOptions(req));
    // A read of this node's mirror: no round trip to the leader, possibly behind it.
    const name = validateConfigName(params.name);
    if (!mirror.isSynced) throw new CcmError('unavailable', `${node.config.id} has not loaded the config yet`);
    const entry = mirror.get(name);
    if (!entry) throw new CcmError('not_found', `config ${name} is not set (as ${node.config.id} has it at config revision ${mirror.view().configRevision})`);
    return entry;
  });
  http.route('PUT', '/v1/config/:name', ({ params, body: x, req }) => config.set({ name: params.name, value: x.value, type: x.type, by: x.by, ifVersion: x.ifVersion }, writeOptions(req)), {
    body: configSetBody,
  });
  http.route('DELETE', '/v1/config/:name', ({ params, query, req }) => {
    const ifVersion = query.get('ifVersion');
    return config.delete({ name: params.name, by: query.get('by') ?? undefined, ifVersion: ifVersion === null ? undefined : Number(ifVersion) }, writeOptions(req));
  });
  http.route('GET', '/v1/config/:name/history', ({ params, req }) => config.history(params.name, callOptions(req)));
  http.route('POST', '/v1/config/:name/rollback', ({ params, body: x, req }) => config.rollback({ name: params.name, toVersion: x.toVersion, by: x.by }, writeOptions(req)), {
    body: rollbackBody,
  });
  http.route('POST', '/v1/config-import', ({ body: x, req }) => config.import({ entries: x.entries, by: x.by }, writeOptions(req)), { body: importBody });
  http.route('GET', '/v1/config-export', ({ query, req }) => config.export(query.get('prefix') ?? '', callOptions(req)));
  http.route('GET', '/v1/config-mirror', () => mirror.view());
  return config;
}
