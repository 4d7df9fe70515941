import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { defaultAuthor } from '../../src/cli/config-format.js';
import type { ConfigImportResult } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';
import { parseImportDocument, readImportFile } from '../../src/services/config-import.js';

export default class ConfigImport extends CcmCommand<typeof ConfigImport> {
  static override summary = 'Import entries from a JSON file atomically (one transaction: all or nothing); entries already as imported get no new version.';
  static override description =
    'The file is what ccm config export writes: {"<name>": {"type": "int", "value": 10}, ...}; a plain string, number or boolean ' +
    'is also accepted (it keeps the entry\'s type, else is inferred). Use - to read standard input.';
  static override examples = ['<%= config.bin %> config import settings.json', 'cat settings.json | <%= config.bin %> config import -'];
  static override args = { file: Args.string({ required: true, description: 'the JSON file (- for standard input)' }) };
  static override flags = { by: Flags.string({ summary: 'Who makes the change. Default: user@host.' }) };

  async run(): Promise<ConfigImportResult> {
    const doc = readImportFile(this.args.file);
    parseImportDocument(doc); // the shape, checked before connecting; values are checked by the node against current types
    const { client } = clientForCluster(this.clusterPaths());
    const r = await client.importConfig(doc, { by: this.flags.by ?? defaultAuthor() });
    this.log(
      r.changed.length === 0
        ? `nothing to import: all ${r.unchanged.length} entries already as in ${this.args.file}`
        : `imported ${r.changed.length} entr${r.changed.length === 1 ? 'y' : 'ies'} at revision ${r.revision}${r.unchanged.length ? ` (${r.unchanged.length} unchanged)` : ''}`,
    );
    for (const e of r.changed) this.log(`  ${e.name} = ${e.text} (${e.type}), version ${e.version}`);
    return r;
  }
}
