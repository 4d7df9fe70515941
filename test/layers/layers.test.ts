import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { cruise } from 'dependency-cruiser';

/**
 * The layer check (.dependency-cruiser.cjs, run by `npm run check:deps` in npm test) can fail: on a small tree with
 * a pure core importing the node, a folder beside its own, and a folder with no layer, it reports exactly those.
 */
describe('layers: the dependency check refuses imports up or across layers', function () {
  this.timeout(60_000);
  const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  const config = createRequire(import.meta.url)(path.join(repo, '.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-layers-'));
    const write = (file: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('src/node/runtime.ts', "import { clockOf } from '../time/clock.js';\nexport const node = clockOf();\n");
    write('src/time/clock.ts', 'export const clockOf = (): number => 0;\n');
    write('src/core/state.ts', "import { node } from '../node/runtime.js';\nexport const up = node;\n"); // up: a core reaching the node
    write('src/raft/log.ts', "import { up } from '../core/state.js';\nexport const across = up;\n"); // across: raft beside core
    write('src/nowhere/x.ts', 'export const lost = 1;\n');
    write('src/api/views.ts', "import { lost } from '../nowhere/x.js';\nexport const v = lost;\n"); // a folder with no layer
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports each violation by rule, and nothing for imports downward', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const result = await cruise(['src'], { validate: true, ruleSet: { forbidden: config.forbidden } as never, tsPreCompilationDeps: true });
      const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
      const found = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
      expect(found).to.deep.equal([
        'layer-core: src/core/state.ts -> src/node/runtime.ts',
        'layer-raft: src/raft/log.ts -> src/core/state.ts',
        'unlisted-folder: src/api/views.ts -> src/nowhere/x.ts',
      ]);
    } finally {
      process.chdir(cwd);
    }
  });
});
