import type { ServiceInstanceView } from '../api/api-types.js';
import type { KeyValue } from '../core/kv-types.js';

/**
 * The service registry's records, with no I/O: key layout and what an instance key holds. Shared by the registry
 * (node side), the check runner, the client (to decode watch events) and tests; the rules a registration must meet
 * are in service-registration.ts.
 *
 * Keys: `/ccm/services/<service>/<id>` holds the instance; `/ccm/service-ids/<id>` names its service, so an id
 * is unique across services and `deregister <id>` finds it. Both are attached to the instance's lease, so both go
 * when the lease ends (not renewed, revoked by deregister).
 */
export const SERVICES_PREFIX = '/ccm/services/';
export const SERVICE_IDS_PREFIX = '/ccm/service-ids/';

export function servicePrefix(service: string): string {
  return `${SERVICES_PREFIX}${service}/`;
}

export function instanceKey(service: string, id: string): string {
  return servicePrefix(service) + id;
}

export function idKey(id: string): string {
  return SERVICE_IDS_PREFIX + id;
}

/** What an instance key holds: the API's view without the revisions (those come from the key). */
export type InstanceRecord = Omit<ServiceInstanceView, 'createRevision' | 'modRevision'>;

export function decodeInstance(kv: KeyValue): InstanceRecord {
  return JSON.parse(kv.value) as InstanceRecord;
}

export function instanceView(kv: KeyValue): ServiceInstanceView {
  return { ...decodeInstance(kv), createRevision: kv.createRevision, modRevision: kv.modRevision };
}
