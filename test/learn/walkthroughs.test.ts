import { PROJECT_ROOT } from '../../src/exercise/exercises.js';
import { describeFailure, openWalkthroughSession, type WalkthroughSession } from '../../src/learn/walkthrough-session.js';

/**
 * docs/learn, run as a reader would: every `console` block of every page, in order, against one real cluster
 * started by the first page; each step must exit as the page says and print what the page says to look for
 * (the convention: src/learn/walkthrough.ts). A page that stops matching the program fails here.
 */
describe('docs/learn walkthroughs, every command block against a real cluster', function () {
  this.timeout(600_000);
  let session: WalkthroughSession;
  before(() => {
    session = openWalkthroughSession(PROJECT_ROOT);
  });
  after(async () => {
    await session.close();
  });

  for (const page of openWalkthroughSession.pagesOf(PROJECT_ROOT)) {
    it(`${page.name}: every step works as written`, async function () {
      const results = await session.runPage(page);
      const skipped = results.filter((r) => r.outcome === 'skipped');
      const failed = results.find((r) => r.outcome === 'failed');
      if (failed) throw new Error(describeFailure(page, failed));
      if (skipped.length > 0) {
        const why = [...new Set(skipped.map((r) => r.reason))].join('; ');
        process.stdout.write(`      ${why} (${skipped.length} of ${results.length} steps)\n`);
        if (skipped.length === results.length) this.skip();
      }
    });
  }
});
