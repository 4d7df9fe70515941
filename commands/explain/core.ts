import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainCore } from '../../src/explain/explain-core.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainCore extends CcmCommand<typeof ExplainCore> {
  static override summary = 'Why this Raft leader: the election that made it (who voted for whom, refusals and why), what ended the last term.';
  static override description =
    'From the nodes\' event logs: the election that made the current leader (each vote granted or refused, with the rule that refused it: already voted, leader lease, log behind, stale term) and what ended the term before it.';
  static override examples = ['<%= config.bin %> explain core', '<%= config.bin %> explain core --json'];

  async run(): Promise<Explanation> {
    const e = await explainCore(this.clusterPaths());
    this.log(renderExplanation(e));
    return e;
  }
}
