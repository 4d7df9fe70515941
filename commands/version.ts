import { CcmCommand } from '../src/cli/ccm-command.js';

export default class Version extends CcmCommand<typeof Version> {
  static override summary = 'Print the ccm version.';
  static override description =
    'The ccm version, and the Node.js and platform it runs on.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];
  async run(): Promise<{ version: string; node: string }> {
    const result = { version: this.config.version, node: process.version };
    this.log(`ccm ${result.version} (node ${result.node})`);
    return result;
  }
}
