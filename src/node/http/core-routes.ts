import { CcmError } from '../../errors/ccm-error.js';
import type { EtcdMemberStatus } from '../../etcd-core/etcd-core.js';
import type { HttpServer } from '../../net/http-server.js';
import type { CoreService } from '../core/core-service.js';
import type { EtcdNodeCore } from '../core/etcd-node-core.js';
import { callOptions } from './kv-routes.js';
import { membersBody, transferLeaderBody } from './route-schemas.js';

/** /v1/core: the Raft core's status, membership changes (ccm core add/promote/remove) and leadership transfer. */
export function registerRaftCoreRoutes(http: HttpServer, core: CoreService): void {
  http.route('GET', '/v1/core/status', () => core.status());

  http.route('POST', '/v1/core/members', async ({ body: b, req }) => {
    const types: Record<string, 'add-learner' | 'add-voter' | 'remove-node'> = { 'add-learner': 'add-learner', promote: 'add-voter', 'add-voter': 'add-voter', remove: 'remove-node' };
    const type = Object.hasOwn(types, b.action) ? types[b.action] : undefined;
    if (!type) throw new CcmError('invalid_argument', 'action must be add-learner, add-voter, promote or remove');
    return core.changeMembership({ type, nodeId: b.node }, callOptions(req));
  }, { body: membersBody });

  http.route('POST', '/v1/core/transfer-leader', async ({ body, req }) => core.transferLeader(body.to, callOptions(req)), { body: transferLeaderBody });
}

/** What GET /v1/core/status answers when the core is etcd: the etcd members as etcd reports them. */
export interface EtcdCoreStatus {
  kind: 'member';
  core: 'etcd';
  etcd: { endpoints: string[]; members: EtcdMemberStatus[] };
}

/** How long GET /v1/core/status waits for the etcd members' own status at most. */
const MEMBERS_DEADLINE_MS = 2000;

/**
 * /v1/core on a node whose core is etcd: the status lists the etcd members (health, leader, raft index); the Raft-only
 * operations (membership, leadership transfer, snapshots) are refused, naming the etcdctl command that does them.
 */
export function registerEtcdCoreRoutes(http: HttpServer, core: EtcdNodeCore): void {
  const refuse = (what: string, etcdctl: string): never => {
    throw new CcmError('failed_precondition', `the core is etcd (${core.endpoints.join(',')}), not the nodes' Raft: ${what} with etcdctl ${etcdctl} (ETCDCTL_API=3 etcdctl --endpoints ${core.endpoints.join(',')} …)`);
  };
  http.route('GET', '/v1/core/status', async (): Promise<EtcdCoreStatus> => ({
    kind: 'member',
    core: 'etcd',
    etcd: { endpoints: core.endpoints, members: await core.members(MEMBERS_DEADLINE_MS) },
  }));
  http.route('POST', '/v1/core/members', () => refuse('change its members', 'member add / member remove'), { body: membersBody });
  http.route('POST', '/v1/core/transfer-leader', () => refuse('move its leader', 'move-leader'), { body: transferLeaderBody });
  http.route('GET', '/v1/snapshot', () => refuse('save a snapshot', 'snapshot save <file>'));
}
