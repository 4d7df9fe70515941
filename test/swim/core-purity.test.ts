import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/test/swim → repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('protocol cores are pure (convention 1)', () => {
  for (const dir of ['src/swim', 'src/detector', 'src/leader']) {
    it(`${dir} imports no I/O and reads no real clock or randomness`, () => {
      const files = readdirSync(root + dir).filter((f) => f.endsWith('.ts'));
      expect(files.length).to.be.above(0);
      for (const f of files) {
        const text = readFileSync(`${root}${dir}/${f}`, 'utf8');
        const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
        for (const i of imports) {
          expect(i, `${dir}/${f}`).to.not.match(/^node:|^(fs|net|dgram|http|child_process)$|\/(net|storage|node|cluster)\//);
        }
        expect(text, `${dir}/${f}`).to.not.match(/Date\.now\(|Math\.random\(|setTimeout\(|setInterval\(|performance\.now\(/);
      }
    });
  }
});
