import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainLeader } from '../../src/explain/explain-leader.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainLeader extends CcmCommand<typeof ExplainLeader> {
  static override summary = 'Why this emergent leader: the rule, the ranking each node used, and where views differ and why.';
  static override description =
    'The emergent leader is the rule applied to each node\'s gossip view (the alive member with the lowest id, or as configured); where nodes disagree, whose view differs and why (a suspicion not yet spread, a partition).';
  static override examples = ['<%= config.bin %> explain leader', '<%= config.bin %> explain leader --json'];

  async run(): Promise<Explanation> {
    const e = await explainLeader(this.clusterPaths());
    this.log(renderExplanation(e));
    return e;
  }
}
