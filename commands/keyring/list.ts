import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import { listKeyring, type KeyringListView } from '../../src/cluster/cluster-keyring.js';

export default class KeyringList extends CcmCommand<typeof KeyringList> {
  static override summary = "The cluster's peer keys by fingerprint: which nodes hold each, and which send with it (the primary).";
  static override description =
    'Every TCP frame and UDP datagram between nodes is sealed (AES-256-GCM) with the primary key; every installed key opens them. ' +
    'Keys are never printed: a fingerprint is the first 8 bytes of its SHA-256.';
  static override examples = ['<%= config.bin %> keyring list'];

  async run(): Promise<KeyringListView> {
    const view = await listKeyring(this.clusterPaths());
    this.log(
      renderTable(
        ['KEY', 'NODES', 'PRIMARY ON', 'CLUSTER FILE'],
        view.keys.map((k) => [k.fingerprint, k.nodes.join(',') || '-', k.primaryOn.join(',') || '-', k.isClusterPrimary ? 'primary' : k.inClusterFile ? 'installed' : '-']),
      ),
    );
    const down = view.nodes.filter((n) => n.keyring === null);
    if (down.length > 0) this.log(`\nnot asked: ${down.map((n) => `${n.node} (${n.error})`).join(', ')}`);
    return view;
  }
}
