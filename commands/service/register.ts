import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultAuthor } from '../../src/cli/config-format.js';
import { durationFlag } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { ServiceInstanceView } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateTtlMs } from '../../src/core/commands.js';
import { validateAddress, validateInstanceId, validatePort, validateServiceCheck, validateServiceName, validateTags } from '../../src/services/service-registration.js';
import { formatDuration } from '../../src/time/duration.js';

export default class ServiceRegister extends CcmCommand<typeof ServiceRegister> {
  static override summary = 'Register a service instance, tied to a lease: it stays while the lease is renewed (--keepalive, ccm service renew).';
  static override description =
    'With --check (HTTP) or --tcp-check, the node that takes the registration runs the check (2xx passing, 429 warning, else critical); ' +
    'lookups hand out passing instances only, and one critical for --deregister-after is deregistered. An instance without a check is passing.';
  static override examples = [
    '<%= config.bin %> service register payments --id payments-1 --address 127.0.0.1 --port 8080 --ttl 10s --keepalive',
    '<%= config.bin %> service register payments --id payments-2 --address 127.0.0.1 --port 8081 --ttl 30s --check http://127.0.0.1:8081/health --tag v2',
  ];
  static override args = { service: Args.string({ required: true, description: 'the service name' }) };
  static override flags = {
    id: Flags.string({ summary: 'Instance id, unique across services.', required: true }),
    address: Flags.string({ summary: 'Host or IP the instance serves on.', required: true }),
    port: Flags.integer({ summary: 'Port it serves on (1-65535).', required: true }),
    ttl: Flags.string({ summary: 'Lease TTL: deregistered unless renewed within it (1s to 7d).', default: '30s' }),
    tag: Flags.string({ summary: 'A tag (repeatable).', multiple: true }),
    check: Flags.string({ summary: 'HTTP health check URL.', exclusive: ['tcp-check'] }),
    'tcp-check': Flags.string({ summary: 'TCP health check: host:port to connect to.' }),
    'check-interval': Flags.string({ summary: 'How often the check runs.', default: '10s' }),
    'check-timeout': Flags.string({ summary: 'Check timeout (shorter than the interval). Default: 2s, or half the interval if shorter.' }),
    'deregister-after': Flags.string({ summary: 'Deregister an instance critical for this long (with a check).', default: '60s' }),
    node: Flags.string({ summary: 'Register through this node (it runs the checks). Default: whichever node answers.' }),
    keepalive: Flags.boolean({ summary: 'Keep renewing the lease until Ctrl-C, then deregister.' }),
    by: Flags.string({ summary: 'Who registers it. Default: user@host.' }),
  };

  async run(): Promise<ServiceInstanceView> {
    const f = this.flags;
    // Everything is checked before anything is sent (the node checks again).
    const service = validateServiceName(this.args.service);
    const id = validateInstanceId(f.id);
    validateAddress(f.address);
    validatePort(f.port);
    const tags = validateTags(f.tag ?? []);
    const ttlMs = validateTtlMs(durationFlag(f.ttl, '--ttl'));
    const hasCheck = f.check !== undefined || f['tcp-check'] !== undefined;
    const intervalMs = durationFlag(f['check-interval'], '--check-interval');
    const check = hasCheck
      ? {
          ...(f.check !== undefined ? { http: f.check } : { tcp: f['tcp-check'] }),
          intervalMs,
          ...(f['check-timeout'] !== undefined ? { timeoutMs: durationFlag(f['check-timeout'], '--check-timeout') } : {}),
        }
      : undefined;
    const deregisterAfterMs = hasCheck ? durationFlag(f['deregister-after'], '--deregister-after') : undefined;
    validateServiceCheck(check, id, deregisterAfterMs);
    const { client } = clientForCluster(this.clusterPaths());
    const i = await client.registerService(service, { id, address: f.address, port: f.port, ttlMs, tags, check, deregisterAfterMs, by: f.by ?? defaultAuthor() }, { node: f.node });
    this.log(`registered ${i.service}/${i.id} at ${i.address}:${i.port} with lease ${i.lease} (ttl ${formatDuration(i.ttlMs)}); ${i.check ? `${i.check.kind} check every ${formatDuration(i.check.intervalMs)} run by ${i.node}` : 'no check: passing while the lease lives'}`);
    if (!f.keepalive) this.log(`  secret ${i.secret}  (shown once: ccm service renew|deregister ${i.id} --secret ... need it)`);
    if (!f.keepalive) return i;
    return this.keepAlive(client, i);
  }

  /** Renews every TTL/3 until Ctrl-C (then deregisters) or until the lease is lost (exit 1). */
  private async keepAlive(client: ReturnType<typeof clientForCluster>['client'], i: ServiceInstanceView & { secret: string }): Promise<ServiceInstanceView> {
    let isStopped = false;
    process.once('SIGINT', () => (isStopped = true));
    process.once('SIGTERM', () => (isStopped = true));
    if (!this.jsonEnabled()) process.stderr.write('keeping it registered; Ctrl-C to deregister\n');
    while (!isStopped) {
      const until = Date.now() + i.ttlMs / 3;
      while (!isStopped && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (isStopped) break;
      try {
        await client.renewService(i.id, i.secret);
      } catch (err) {
        if (err instanceof CcmError && err.code === 'not_found') throw new CcmError('not_found', `${i.service}/${i.id} is no longer registered: ${err.message}`);
        this.warn(`renewal failed, retrying: ${(err as Error).message}`);
      }
    }
    await client.deregisterService(i.id, { secret: i.secret }).catch((err: Error) => this.warn(`deregister failed: ${err.message}`));
    this.log(`deregistered ${i.service}/${i.id}`);
    return i;
  }
}
