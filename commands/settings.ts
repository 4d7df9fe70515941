import { CcmCommand } from '../src/cli/ccm-command.js';
import { bold, dim } from '../src/cli/colour.js';
import { renderTable } from '../src/cli/output-table.js';
import { clusterExists, DEFAULT_SETTINGS, readClusterFile } from '../src/cluster/cluster-file.js';
import { describeSettings, type SettingView } from '../src/cluster/settings-catalog.js';
import { formatDuration } from '../src/time/duration.js';

export default class Settings extends CcmCommand<typeof Settings> {
  static override summary = 'The protocol settings of a cluster (or the defaults): Raft timeouts, gossip period, self-healing, log compaction, and what each drives.';
  static override description =
    'Each setting is a flag of ccm up (a stopped cluster takes new values when it starts again); cluster.json keeps them, with the Raft ' +
    'timeouts counted in ticks. Without a cluster of that name, the defaults are shown. The formulas are those the protocols use: see ' +
    'src/raft/raft-config.ts and src/swim/swim-config.ts for the whole of each.';
  static override examples = ['<%= config.bin %> settings', '<%= config.bin %> settings --name demo --json'];

  async run(): Promise<{ cluster: string; source: 'cluster' | 'defaults'; settings: SettingView[] }> {
    const paths = this.clusterPaths();
    const source = clusterExists(paths) ? 'cluster' : 'defaults';
    const settings = describeSettings(source === 'cluster' ? readClusterFile(paths).settings : DEFAULT_SETTINGS);
    const show = (s: SettingView, v: number): string => (s.unit === 'ms' ? formatDuration(v) : String(v));
    this.log(source === 'cluster' ? `cluster "${paths.name}" settings (change them with ccm up --<flag> <value> on a stopped cluster):` : `no cluster "${paths.name}": the defaults`);
    this.log(
      renderTable(
        ['FLAG', 'VALUE', 'DEFAULT'],
        settings.map((s) => [`--${s.flag}`, s.value === s.default ? show(s, s.value) : bold(show(s, s.value)), show(s, s.default)]),
      ),
    );
    for (const s of settings) this.log(`\n--${s.flag}: ${s.summary}\n  ${dim(s.drives)}`);
    return { cluster: paths.name, source, settings };
  }
}
