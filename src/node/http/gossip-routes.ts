import type { HttpServer } from '../../net/http-server.js';
import type { GossipDriver } from '../gossip/gossip-driver.js';
import { parseTagChange } from '../../api/gossip-tags.js';
import { anyObjectBody } from './route-schemas.js';

/**
 * The gossip layer's HTTP API:
 *   GET /v1/members        this node's view of every member (MembersView)
 *   GET /v1/leader         the emergent leader of this node's view, with the ranking (LeaderView)
 *   GET /v1/gossip         counters: packets, malformed datagrams, push-pulls (GossipStatsView)
 *   PUT /admin/gossip/tags {"set": {"zone": "eu-west"}, "remove": ["rack"]} → NodeTagsResult; malformed → 400
 */
export function registerGossipRoutes(http: HttpServer, gossip: GossipDriver): void {
  http.route('GET', '/v1/members', () => gossip.membersView());
  http.route('GET', '/v1/leader', () => gossip.leaderView());
  http.route('GET', '/v1/gossip', () => gossip.statsView());
  http.route('PUT', '/admin/gossip/tags', ({ body }) => gossip.updateTags(parseTagChange(body)), { body: anyObjectBody });
}
