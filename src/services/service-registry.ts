import { CcmError } from '../errors/ccm-error.js';
import type { HealthStatus, ServiceInstanceView, ServiceListView, ServiceLookupView } from '../api/api-types.js';
import { validateLeaseId } from '../core/commands.js';
import type { KeyValue } from '../core/kv-types.js';
import type { Command } from '../core/commands.js';
import { callWithin, type CallOptions, type ServiceContext, type WriteResult } from './core-port.js';
import { decodeInstance, idKey, instanceKey, instanceView, servicePrefix, SERVICES_PREFIX, type InstanceRecord } from './service-records.js';
import { validateInstanceId, validateRegistration, validateServiceName } from './service-registration.js';
import { newLeaseSecret, secretHashOf } from './lease-secret.js';

/**
 * The service registry: instances of named services, each tied to a lease (it is registered while its owner renews
 * the lease) and carrying a health state. Registration is two commands: a lease grant, then one transaction that
 * creates the instance and its id key only if the id is free (else the lease is revoked at once and nothing stays).
 * Checks are run by the node the instance registered with (ServiceChecks), which writes status changes here.
 */
export class ServiceRegistry {
  constructor(private readonly ctx: ServiceContext) {}

  /** Registers an instance; the answer carries its lease's `secret` (once): renewing or deregistering needs it. */
  async register(service: unknown, body: Record<string, unknown>, opts: CallOptions & { defaultBy?: string }): Promise<ServiceInstanceView & { secret: string }> {
    const reg = validateRegistration(service, body, opts.defaultBy ?? 'api');
    // Refuse a taken id before granting anything (the transaction below decides for certain).
    const existing = await this.readKey(idKey(reg.id), opts);
    if (existing) throw this.duplicate(reg.id, existing);
    const { secret, secretHash } = newLeaseSecret();
    const grant = await this.write({ op: 'lease-grant', ttlMs: reg.ttlMs, owner: `service ${reg.service}/${reg.id}`, atMs: this.ctx.clock.nowMs(), secretHash }, opts);
    const now = this.ctx.clock.nowMs();
    const record: InstanceRecord = {
      service: reg.service,
      id: reg.id,
      address: reg.address,
      port: reg.port,
      tags: reg.tags,
      lease: grant.id,
      ttlMs: reg.ttlMs,
      check: reg.check,
      // Consul's rule: a checked instance starts critical and is not handed out until its check passes.
      status: reg.check ? 'critical' : 'passing',
      output: reg.check ? 'not checked yet' : 'no check: passing while its lease lives',
      statusSinceMs: now,
      criticalSinceMs: reg.check ? now : null,
      node: this.ctx.nodeId,
      registeredAtMs: now,
      registeredBy: reg.by,
    };
    const value = JSON.stringify(record);
    let r: WriteResult<Extract<Command, { op: 'txn' }>>;
    try {
      r = await this.write(
        {
          op: 'txn',
          compare: [{ key: idKey(reg.id), target: 'create', op: '=', value: 0 }],
          success: [
            { op: 'put', key: instanceKey(reg.service, reg.id), value, lease: grant.id },
            { op: 'put', key: idKey(reg.id), value: JSON.stringify({ service: reg.service, lease: grant.id }), lease: grant.id },
          ],
          failure: [{ op: 'get', key: idKey(reg.id) }],
        },
        opts,
      );
    } catch (err) {
      this.revokeQuietly(grant.id);
      throw err;
    }
    if (!r.succeeded) {
      this.revokeQuietly(grant.id);
      const kv = r.results[0]?.op === 'get' ? r.results[0].kvs[0] : undefined;
      throw this.duplicate(reg.id, kv);
    }
    return { ...record, createRevision: r.revision, modRevision: r.revision, secret };
  }

  /** Deregisters by revoking the instance's lease: its keys go in one revision. */
  async deregister(idRaw: unknown, secret: unknown, opts: CallOptions): Promise<{ service: string; id: string; lease: number; revision: number }> {
    const secretHash = secretHashOf(secret);
    const { id, service, lease } = await this.locate(idRaw, opts);
    const r = await this.write({ op: 'lease-revoke', id: lease, secretHash }, opts);
    return { service, id, lease, revision: r.revision };
  }

  /** Renews the instance's lease (its TTL starts again). */
  async renew(idRaw: unknown, secret: unknown, opts: CallOptions): Promise<{ service: string; id: string; lease: number; ttlMs: number; renewals: number }> {
    const secretHash = secretHashOf(secret);
    const { id, service, lease } = await this.locate(idRaw, opts);
    const r = await this.write({ op: 'lease-renew', id: lease, atMs: this.ctx.clock.nowMs(), secretHash }, opts);
    return { service, id, lease, ttlMs: r.ttlMs, renewals: r.renewals };
  }

  async instance(idRaw: unknown, opts: CallOptions): Promise<ServiceInstanceView> {
    const { id, service } = await this.locate(idRaw, opts);
    const kv = await this.readKey(instanceKey(service, id), opts);
    if (!kv) throw notRegistered(id);
    return instanceView(kv);
  }

  /** Passing instances of a service (Consul's `?passing`), or every instance with `all`. */
  async lookup(serviceRaw: unknown, all: boolean, opts: CallOptions): Promise<ServiceLookupView> {
    const service = validateServiceName(serviceRaw);
    // An instance whose lease the leader already holds overdue is gone, even before its expiry commits.
    const r = await this.range(servicePrefix(service), true, opts, true);
    const instances = r.kvs.map(instanceView);
    const counts: Record<HealthStatus, number> = { passing: 0, warning: 0, critical: 0 };
    for (const i of instances) counts[i.status]++;
    return { service, instances: all ? instances : instances.filter((i) => i.status === 'passing'), counts, revision: r.revision };
  }

  async list(opts: CallOptions): Promise<ServiceListView> {
    const r = await this.range(SERVICES_PREFIX, true, opts);
    const byService = new Map<string, ServiceListView['services'][number]>();
    for (const kv of r.kvs) {
      const rec = decodeInstance(kv);
      const row = byService.get(rec.service) ?? { service: rec.service, instances: 0, passing: 0, warning: 0, critical: 0, tags: [] };
      row.instances++;
      row[rec.status]++;
      row.tags = [...new Set([...row.tags, ...rec.tags])].sort();
      byService.set(rec.service, row);
    }
    return { services: [...byService.values()], revision: r.revision };
  }

  private async locate(idRaw: unknown, opts: CallOptions): Promise<{ id: string; service: string; lease: number }> {
    const id = validateInstanceId(idRaw);
    const kv = await this.readKey(idKey(id), opts);
    if (!kv) throw notRegistered(id);
    const { service } = JSON.parse(kv.value) as { service: string };
    return { id, service, lease: validateLeaseId(kv.lease) };
  }

  private duplicate(id: string, existing: KeyValue | undefined): CcmError {
    const service = existing ? (JSON.parse(existing.value) as { service: string }).service : '?';
    return new CcmError('already_exists', `instance ${id} is already registered (service ${service}, lease ${existing?.lease ?? '?'}); deregister it first or pick another id. Nothing changed.`, {
      service,
      lease: existing?.lease,
    });
  }

  private revokeQuietly(lease: number): void {
    void this.write({ op: 'lease-revoke', id: lease, bySystem: true }, callWithin(this.ctx.scheduler, 3000)).catch(() => undefined);
  }

  private async readKey(key: string, opts: CallOptions): Promise<KeyValue | undefined> {
    return (await this.range(key, false, opts)).kvs[0];
  }

  private async range(key: string, prefix: boolean, opts: CallOptions, liveOnly = false): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.ctx.core.read({ kind: 'range', key, prefix, liveOnly }, false, opts);
    return r;
  }

  private write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    return this.ctx.core.write(command, opts);
  }
}

function notRegistered(id: string): CcmError {
  return new CcmError('not_found', `no instance ${id} is registered (it was deregistered, or its lease expired)`);
}
