import { Args, Flags } from '@oclif/core';
import fs from 'node:fs';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { renderTable } from '../src/cli/output-table.js';
import { PROJECT_ROOT } from '../src/exercise/exercises.js';
import { findPage, listPages, type LearnPage } from '../src/learn/learn-pages.js';
import { renderForTerminal } from '../src/learn/terminal-render.js';

export default class Learn extends CcmCommand<typeof Learn> {
  static override summary = 'The learning path: list its pages, or print one in the terminal (80 columns).';
  static override description =
    'The pages are docs/learn/*.md: the consistent core, then one per exercise (lease manager, change notification, gossip, leader election, ' +
    'failure detection, chaos). Each has commands to run on a live cluster (ccm up --nodes 5 first), what to look for, a way to break it, ' +
    'the metric to watch, an exercise and questions. Name a page by number or by a word of its name.';
  static override examples = ['<%= config.bin %> learn', '<%= config.bin %> learn 1', '<%= config.bin %> learn lease', '<%= config.bin %> learn gossip --answers'];
  static override args = { page: Args.string({ required: false, description: 'a page: its number, or a word of its name' }) };
  static override flags = { answers: Flags.boolean({ summary: 'Show the answers to the questions at the end of the page.', default: false }) };

  async run(): Promise<LearnPage[] | (LearnPage & { text: string })> {
    if (this.args.page === undefined) {
      const pages = listPages(PROJECT_ROOT);
      this.log(renderTable(['#', 'PAGE', 'TITLE'], pages.map((p) => [p.number, p.name, p.title])));
      this.log('');
      this.log('read one: ccm learn <number or word>, e.g. ccm learn 1 (in a browser: docs/learn/)');
      return pages;
    }
    const page = findPage(PROJECT_ROOT, this.args.page);
    const text = renderForTerminal(fs.readFileSync(page.file, 'utf8'), {
      showAnswers: this.flags.answers,
      answersHint: `ccm learn ${page.number} --answers`,
    });
    if (!this.jsonEnabled()) process.stdout.write(text);
    return { ...page, text };
  }
}
