/**
 * `npm run bench -- <suite> [options]`: performance figures, printed as numbers and ratios (never asserted).
 * Each suite lives in scripts/bench-<suite>.ts and exports `run(args): Promise<void>`.
 */
const SUITES = ['core', 'services', 'gossip', 'checker', 'wal', 'scale'] as const;
/** `scale` writes a GiB per node and takes minutes: it runs only when named. */
const IN_ALL = SUITES.filter((s) => s !== 'scale');

async function main(): Promise<void> {
  const [suite = 'all', ...args] = process.argv.slice(2);
  const chosen = suite === 'all' ? IN_ALL : [suite];
  for (const name of chosen) {
    if (!(SUITES as readonly string[]).includes(name)) {
      process.stderr.write(`unknown bench suite "${name}"; choose one of: ${SUITES.join(', ')}, all\n`);
      process.exit(2);
    }
    let mod: { run(args: string[]): Promise<void> };
    try {
      mod = (await import(`./bench-${name}.js`)) as typeof mod;
    } catch (err) {
      process.stderr.write(`bench suite "${name}" is not available: ${(err as Error).message}\n`);
      process.exitCode = 1;
      continue;
    }
    process.stdout.write(`\n== bench ${name}\n`);
    await mod.run(args);
  }
}

await main();
