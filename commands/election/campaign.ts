import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultHolder, durationFlag } from '../../src/cli/lease-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateTtlMs } from '../../src/core/commands.js';
import { Candidate } from '../../src/client/election-candidate.js';
import { validateCandidateId, validateElectionName } from '../../src/services/election.js';
import { formatDuration } from '../../src/time/duration.js';

export default class ElectionCampaign extends CcmCommand<typeof ElectionCampaign> {
  static override summary = 'Campaign to lead an election: wait in line until leader, print the fencing token, and lead (renewing) until Ctrl-C.';
  static override description =
    'On Ctrl-C it resigns, so the next candidate in line leads at once, and exits 0. If leadership is lost (paused or cut off past the TTL, ' +
    'so the lease ran out) it says so and exits 1. A killed leader is replaced by the next candidate once its TTL runs out. ' +
    'With --json, one JSON line per event (leader, resigned) on stdout.';
  static override examples = ['<%= config.bin %> election campaign scheduler --id worker-1 --ttl 10s'];
  static override args = { name: Args.string({ required: true, description: 'the election name' }) };
  static override flags = {
    id: Flags.string({ summary: 'This candidate\'s id (shown as the leader). Default: host:pid.' }),
    ttl: Flags.string({ summary: 'Leadership lease TTL: a leader that stops renewing is replaced after it (1s to 7d).', default: '10s' }),
    timeout: Flags.string({ summary: 'Give up (exit 1) if not leader within this long. Default: wait forever.' }),
  };

  async run(): Promise<void> {
    const name = validateElectionName(this.args.name);
    const id = validateCandidateId(this.flags.id ?? defaultHolder().replace(/[^A-Za-z0-9._:@-]/g, '-'));
    const ttlMs = validateTtlMs(durationFlag(this.flags.ttl, '--ttl'));
    const campaignTimeoutMs = this.flags.timeout === undefined ? undefined : durationFlag(this.flags.timeout, '--timeout');
    const { client } = clientForCluster(this.clusterPaths());
    const asJson = this.jsonEnabled();
    const emit = (event: string, fields: object, human: string): void => void process.stdout.write((asJson ? JSON.stringify({ event, ...fields }) : human) + '\n');
    const candidate = new Candidate(client, { name, id, ttlMs, campaignTimeoutMs }, {
      onLeader: (l) => emit('leader', l, `leader of ${name} as ${id}: fencing token ${l.token} (lease ${l.lease}, ttl ${formatDuration(l.ttlMs)}${l.waitedMs > 0 ? `, after ${formatDuration(l.waitedMs)} in line` : ''}); Ctrl-C to resign`),
      onRetry: (what, reason) => process.stderr.write(`(${what} failed, retrying: ${reason})\n`),
    });
    process.once('SIGINT', () => candidate.stop());
    process.once('SIGTERM', () => candidate.stop());
    if (!asJson) process.stderr.write(`campaigning for ${name} as ${id} (ttl ${formatDuration(ttlMs)})...\n`);
    const r = await candidate.run();
    switch (r.outcome) {
      case 'stopped':
        emit('stopped', { election: name, id }, `stopped campaigning for ${name} (left the line)`);
        // The waiting request is still open: exiting closes it, and the node takes this candidate out of the line.
        process.exit(0);
        break;
      case 'resigned':
        emit('resigned', { election: name, id, lease: r.leadership.lease, token: r.leadership.token, nextLeader: r.nextLeader ?? null }, `resigned leadership of ${name}${r.nextLeader ? `; ${r.nextLeader} leads now` : ''}`);
        return;
      case 'lost':
        throw new CcmError('failed_precondition', `lost leadership of ${name} (token ${r.leadership.token}): ${r.reason}`);
    }
  }
}
