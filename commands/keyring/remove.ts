import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { changeKeyring, type KeyringChangeResult } from '../../src/cluster/cluster-keyring.js';

export default class KeyringRemove extends CcmCommand<typeof KeyringRemove> {
  static override summary = 'Remove a key from every node: messages sealed with it are refused. The primary key cannot be removed.';
  static override description =
    'Rotation without downtime, as memberlist and Serf do it: install the new key, use it, then remove the old one. ' +
    'Each running node takes the change over its admin API and keeps it in its data dir; secrets/keyring.json keeps it for nodes started later.';
  static override examples = ['ccm keyring remove <old key>'];
  static override args = {
    key: Args.string({ description: 'a base64 key of 32 bytes (256-bit), as ccm keyring generate prints', required: true }),
  };

  async run(): Promise<KeyringChangeResult> {
    const result = await changeKeyring(this.clusterPaths(), 'remove', this.args.key);
    this.log(`remove ${result.fingerprint}: done on ${result.applied.join(', ') || 'no running node'}${result.unreachable.length ? `; not reached: ${result.unreachable.join(', ')} (they take it from the cluster's keyring when restarted)` : ''}`);
    this.log(`cluster keyring: primary ${result.clusterFile.primary}, keys ${result.clusterFile.keys.join(', ')}`);
    return result;
  }
}
