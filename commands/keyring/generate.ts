import { CcmCommand } from '../../src/cli/ccm-command.js';
import { generateKey } from '../../src/net/keyring.js';

export default class KeyringGenerate extends CcmCommand<typeof KeyringGenerate> {
  static override summary = 'Print a new random 256-bit key (base64), for ccm keyring install. Changes nothing.';
  static override description =
    'A fresh key from the system\'s random source, printed once; nothing is stored. Install it on the cluster with ccm keyring install, make it the primary with ccm keyring use, then remove the old one.';
  static override examples = ['<%= config.bin %> keyring generate', 'KEY=$(<%= config.bin %> keyring generate) && <%= config.bin %> keyring install $KEY && <%= config.bin %> keyring use $KEY'];

  async run(): Promise<{ key: string }> {
    const key = generateKey();
    this.log(key);
    return { key };
  }
}
