import { CcmCommand } from '../../src/cli/ccm-command.js';
import { generateKey } from '../../src/net/keyring.js';

export default class KeyringGenerate extends CcmCommand<typeof KeyringGenerate> {
  static override summary = 'Print a new random 256-bit key (base64), for ccm keyring install. Changes nothing.';
  static override examples = ['<%= config.bin %> keyring install $(<%= config.bin %> keyring generate)'];

  async run(): Promise<{ key: string }> {
    const key = generateKey();
    this.log(key);
    return { key };
  }
}
