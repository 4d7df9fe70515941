import { CcmError } from '../../errors/ccm-error.js';
import type { SnapshotDocument } from '../../cluster/snapshot-file.js';
import type { HttpServer } from '../../net/http-server.js';
import type { CoreService } from '../core/core-service.js';
import { callOptions } from './kv-routes.js';

/**
 * GET /v1/snapshot: the core's applied state as of now (`ccm snapshot save`). Served by the Raft leader after a
 * ReadIndex round, so it holds every write acknowledged before the request; the dump is synchronous, so it is one
 * consistent revision. Another node answers `not_leader` naming the leader it knows, and the client asks it instead.
 */
export function registerSnapshotRoutes(http: HttpServer, core: CoreService, nodeId: string, cluster: string): void {
  http.route('GET', '/v1/snapshot', async ({ req }): Promise<SnapshotDocument> => {
    const opts = callOptions(req);
    const replica = core.replica();
    if (!replica || !replica.isLeader()) {
      const leader = core.knownLeader();
      throw new CcmError('not_leader', `${nodeId} is not the Raft leader${leader ? `; ask ${leader}` : ''}`, leader ? { leader } : undefined);
    }
    await replica.readBarrier(Math.max(1, opts.deadline - Date.now()));
    const applied = replica.state.appliedIndex();
    return { cluster, node: nodeId, index: applied.index, term: applied.term, voters: applied.confState.voters, takenAtMs: Date.now(), state: replica.state.dump() };
  });
}
