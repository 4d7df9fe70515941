import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainLeader } from '../../src/explain/explain-leader.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainLeader extends CcmCommand<typeof ExplainLeader> {
  static override summary = 'Why this emergent leader: the rule, the ranking each node used, and where views differ and why.';

  async run(): Promise<Explanation> {
    const e = await explainLeader(this.clusterPaths());
    this.log(renderExplanation(e));
    return e;
  }
}
