import { CcmCommand } from '../../src/cli/ccm-command.js';
import { renderTable } from '../../src/cli/output-table.js';
import { EXERCISE_IDS, EXERCISES, programSource, type ExerciseInfo } from '../../src/exercise/exercises.js';

export interface ExerciseListItem extends Pick<ExerciseInfo, 'id' | 'number' | 'title' | 'summary' | 'kind' | 'defaultDurationMs'> {
  page: string;
  protocol: string;
  programs: Record<string, string[]>;
}

export default class ExerciseList extends CcmCommand<typeof ExerciseList> {
  static override summary = 'The exercises of the learning path: what each checks, its page, its protocol, and the bundled programs.';
  static override description =
    'One row per exercise of docs/learn: its number and name, the guarantee its check verifies, the page that teaches it, the protocol a learner\'s program speaks, and the bundled starter, reference and broken programs (TypeScript, Python).';
  static override examples = ['<%= config.bin %> exercise list', '<%= config.bin %> exercise list --json'];

  async run(): Promise<ExerciseListItem[]> {
    const items: ExerciseListItem[] = EXERCISE_IDS.map((id) => {
      const e = EXERCISES[id];
      const programs = Object.fromEntries(Object.entries(e.programs).map(([kind, langs]) => [kind, langs.map((l) => programSource(id, kind as never, l))]));
      return { id, number: e.number, title: e.title, summary: e.summary, kind: e.kind, defaultDurationMs: e.defaultDurationMs, page: `docs/learn/${e.page}`, protocol: `docs/exercises/${e.protocol}`, programs };
    });
    this.log(renderTable(['#', 'EXERCISE', 'TITLE', 'PAGE'], items.map((i) => [i.number, i.id, i.title, i.page])));
    this.log('');
    this.log('ccm exercise check <exercise> -- <your program>   or   --solution reference|broken');
    this.log('starters, references and broken programs: examples/exercises/<exercise>/');
    return items;
  }
}
