/**
 * `node dist/scripts/learn-walkthroughs.js [--quick] [page...]`: follows docs/learn/ as a new user would, from the index
 * on, in a fresh directory: runs every `console` block (with --quick, not the `long` ones, as npm test) and checks what
 * each page says to look for. Prints one line per
 * step with its time; exits 1 at the first step that does not work as written.
 */
import { fileURLToPath } from 'node:url';
import { describeFailure, openWalkthroughSession } from '../src/learn/walkthrough-session.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const only = process.argv.slice(2).filter((a) => a !== '--quick');
// every block, the long ones (exercise checks) included, unless --quick (as npm test runs them)
const session = openWalkthroughSession(root, { includeLong: !process.argv.includes('--quick') });
const started = performance.now();
let failed = false;
try {
  for (const page of session.pages) {
    if (only.length > 0 && !only.some((w) => page.name.includes(w))) continue;
    const t0 = performance.now();
    const results = await session.runPage(page, (r) => {
      const first = r.step.command.split('\n')[0];
      process.stdout.write(`  ${r.outcome === 'passed' ? 'ok  ' : r.outcome === 'skipped' ? 'skip' : 'FAIL'} ${(r.ms / 1000).toFixed(1).padStart(5)}s  $ ${first}${r.reason && r.outcome === 'skipped' ? `  (${r.reason})` : ''}\n`);
    });
    const bad = results.find((r) => r.outcome === 'failed');
    process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${page.name}: ${results.length} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (bad) {
      process.stdout.write(describeFailure(page, bad) + '\n');
      failed = true;
      break;
    }
  }
} finally {
  await session.close();
}
process.stdout.write(`${failed ? 'failed' : 'every step works as written'} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
process.exitCode = failed ? 1 : 0;
