import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMismatch, runTranscript, type Command } from './datadriven.js';
import { RaftEnv } from './raft-env.js';
import { SwimEnv } from './swim-env.js';

// dist/test/golden → the transcripts live in the source tree, test/golden/{raft,swim}/*.txt
const dir = fileURLToPath(new URL('../../../test/golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

const suites: { name: string; make: () => { run(cmd: Command): string[] } }[] = [
  { name: 'raft', make: () => new RaftEnv() },
  { name: 'swim', make: () => new SwimEnv() },
];

/**
 * Golden transcripts: each file is a named scenario, replayed step by step through the real pure cores and compared
 * line by line with what the file says. A change of behaviour shows as a diff of the printed state and messages.
 * After an intended change: UPDATE_GOLDEN=1 npm run test:unit, then review `git diff test/golden` and commit it.
 */
for (const { name, make } of suites) {
  describe(`golden transcripts: ${name}`, () => {
    const files = fs
      .readdirSync(path.join(dir, name))
      .filter((f) => f.endsWith('.txt'))
      .sort();
    it('has transcripts', () => {
      if (files.length === 0) throw new Error(`no transcripts in test/golden/${name}`);
    });
    for (const f of files) {
      it(f.replace(/\.txt$/, ''), () => {
        const env = make();
        const mismatches = runTranscript(path.join(dir, name, f), (cmd) => env.run(cmd), update);
        if (mismatches.length > 0) {
          throw new Error(
            `${mismatches.length} step(s) differ from the transcript (UPDATE_GOLDEN=1 rewrites it after an intended change):\n` +
              mismatches.map(describeMismatch).join('\n'),
          );
        }
      });
    }
  });
}
