import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainConfig } from '../../src/explain/explain-config.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainConfig extends CcmCommand<typeof ExplainConfig> {
  static override summary = 'Which version of a config entry each node has applied and since when, against the current one, and its history.';
  static override description =
    'Reads every running node: the version each has applied and when, beside the leader\'s; then the entry\'s history (who set what, when). A node behind says how far behind and why (stopped, partitioned, lagging).';
  static override examples = ['<%= config.bin %> explain config feature.dark-mode', '<%= config.bin %> explain config feature.dark-mode --json'];
  static override args = { name: Args.string({ required: true, description: 'the config entry' }) };

  async run(): Promise<Explanation> {
    const e = await explainConfig(this.clusterPaths(), this.args.name);
    this.log(renderExplanation(e));
    return e;
  }
}
