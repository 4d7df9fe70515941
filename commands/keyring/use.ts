import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { changeKeyring, type KeyringChangeResult } from '../../src/cluster/cluster-keyring.js';

export default class KeyringUse extends CcmCommand<typeof KeyringUse> {
  static override summary = 'Make an installed key the primary one: every node sends with it from now on.';
  static override description =
    'Rotation without downtime, as memberlist and Serf do it: install the new key, use it, then remove the old one. ' +
    'Each running node takes the change over its admin API and keeps it in its data dir; secrets/keyring.json keeps it for nodes started later.';
  static override examples = ['ccm keyring use <key>'];
  static override args = {
    key: Args.string({ description: 'a base64 key of 32 bytes (256-bit), as ccm keyring generate prints', required: true }),
  };

  async run(): Promise<KeyringChangeResult> {
    const result = await changeKeyring(this.clusterPaths(), 'use', this.args.key);
    this.log(`use ${result.fingerprint}: done on ${result.applied.join(', ') || 'no running node'}${result.unreachable.length ? `; not reached: ${result.unreachable.join(', ')} (they take it from the cluster's keyring when restarted)` : ''}`);
    this.log(`cluster keyring: primary ${result.clusterFile.primary}, keys ${result.clusterFile.keys.join(', ')}`);
    return result;
  }
}
