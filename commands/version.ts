import { CcmCommand } from '../src/cli/ccm-command.js';

export default class Version extends CcmCommand<typeof Version> {
  static override summary = 'Print the ccm version.';
  async run(): Promise<{ version: string; node: string }> {
    const result = { version: this.config.version, node: process.version };
    this.log(`ccm ${result.version} (node ${result.node})`);
    return result;
  }
}
