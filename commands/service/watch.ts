import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { describeServiceChange } from '../../src/cli/service-format.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { validateServiceName } from '../../src/services/service-registration.js';

export default class ServiceWatch extends CcmCommand<typeof ServiceWatch> {
  static override summary = "Stream a service's registrations, health changes and deregistrations until Ctrl-C.";
  static override description =
    'One line per change to the service\'s instances, in revision order: registered, status changed (with the check output), deregistered. Resumes on another node if the one it watches fails.';
  static override examples = ['<%= config.bin %> service watch payments', '<%= config.bin %> service watch payments --json'];
  static override args = { service: Args.string({ required: true, description: 'the service name' }) };

  async run(): Promise<void> {
    const service = validateServiceName(this.args.service);
    const { client } = clientForCluster(this.clusterPaths());
    const asJson = this.jsonEnabled();
    const w = client.watchService(service, {
      onChange: (c) => void process.stdout.write((asJson ? JSON.stringify(c) : describeServiceChange(c)) + '\n'),
      onReconnect: (node, from, reason) => process.stderr.write(`(reconnecting to ${node} from revision ${from}: ${reason})\n`),
    });
    const stop = (): void => w.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!asJson) process.stderr.write(`watching service ${service}; Ctrl-C to stop\n`);
    await w.done;
  }
}
