/**
 * `npm run fuzz -- [--minutes 5] [--port http,peer,gossip] [--seed N] [--case I [--count K]] [--unsafe-skip-validation] [--mutant NAME]`
 * `npm run fuzz -- --mutants [--seed N] [--minutes M]`
 *
 * Fuzzes a real node's ports (src/fuzz): random bytes and mutations of valid traffic, for the given minutes split
 * over the ports, watching the node after every case. A crash is printed with the seed and case number that replay
 * it; `--case I` replays case I (and the K-1 after it) alone. Exits 1 if the node crashed or answered an input with an
 * internal error (a handler threw: a bug, as in npm test).
 * The fuzzer is an insider (it reads the cluster's secrets): HTTP cases go with the admin token, peer frames and
 * datagrams sealed with the cluster key; 5% go as an outsider (as they are), and the node must refuse each at its
 * door (exit 1 if an HTTP or peer one is not).
 * `--dump` prints the case's bytes (frames as text) instead of sending them: how a crash becomes a regression test.
 * They are the plaintext, before the token is added or the seal made (a regression test sends them with
 * FuzzCluster.send, which does both).
 * `--unsafe-skip-validation` starts the node with CCM_UNSAFE_SKIP_VALIDATION=1 (TEST-ONLY: to see what validation
 * stops). `--mutant NAME` runs the node with one guard taken out (src/fuzz/mutants.ts; TEST-ONLY), to replay what
 * the mutation check found; `--mutants` is the mutation check: each mutant in turn, its port fuzzed until the node
 * fails (at most M minutes each, default 1), exit 1 if one is not found. `npm test` runs a short fixed budget of
 * both (test/fuzz).
 */
import { randomInt } from 'node:crypto';
import { FUZZ_PORTS, fuzzCase, runFuzz, type FuzzPort } from '../src/fuzz/fuzz-run.js';
import { FrameDecoder } from '../src/net/framing.js';
import { checkMutants } from '../src/fuzz/mutation-check.js';
import { MUTANTS, mutantNamed } from '../src/fuzz/mutants.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--minutes N] [--port http,peer,gossip] [--seed N] [--case I [--count K]] [--unsafe-skip-validation] [--mutant NAME]\n       npm run fuzz -- --mutants [--seed N] [--minutes M]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const minutes = Number(option(args, '--minutes') ?? 1);
  if (!Number.isFinite(minutes) || minutes <= 0) usage('--minutes must be a positive number');
  const ports = (option(args, '--port') ?? FUZZ_PORTS.join(',')).split(',') as FuzzPort[];
  for (const p of ports) if (!(FUZZ_PORTS as readonly string[]).includes(p)) usage(`unknown port "${p}" (one of ${FUZZ_PORTS.join(', ')})`);
  const seedText = option(args, '--seed');
  const seed = seedText === undefined ? randomInt(1, 2 ** 31) : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0) usage('--seed must be a whole number');
  const caseText = option(args, '--case');
  const firstCase = caseText === undefined ? undefined : Number(caseText);
  if (firstCase !== undefined && (!Number.isInteger(firstCase) || firstCase < 0)) usage('--case must be a whole number');
  const count = Number(option(args, '--count') ?? 1);
  const unsafeSkipValidation = args.includes('--unsafe-skip-validation');
  const mutant = option(args, '--mutant');
  if (mutant !== undefined && !mutantNamed(mutant)) usage(`no mutant named "${mutant}" (one of ${MUTANTS.map((m) => m.name).join(', ')})`);
  if (args.includes('--mutants')) {
    process.stdout.write(`mutation check with seed ${seed}, at most ${minutes} min per mutant\n`);
    const { outcomes, servesAfter } = await checkMutants(seed, minutes * 60_000, (line) => process.stdout.write(`${line}\n`));
    const missed = outcomes.filter((o) => o.failure === null).length;
    process.stdout.write(`\n${outcomes.length - missed} of ${outcomes.length} mutants found; the node as built serves afterwards: ${servesAfter ? 'yes' : 'NO'}\n`);
    process.exitCode = missed > 0 || !servesAfter ? 1 : 0;
    return;
  }
  if (args.includes('--dump')) {
    if (firstCase === undefined) usage('--dump needs --case');
    for (const port of ports) for (let i = firstCase; i < firstCase + count; i++) dump(port, seed, i);
    return;
  }
  const budgetMsPerPort = (minutes * 60_000) / ports.length;
  process.stdout.write(
    `fuzzing ${ports.join(', ')} with seed ${seed}${firstCase !== undefined ? `, case ${firstCase}${count > 1 ? ` (+${count - 1})` : ''}` : `, ${Math.round(budgetMsPerPort / 1000)} s per port`}${unsafeSkipValidation ? ' (UNSAFE: validation off)' : ''}${mutant ? ` (MUTANT: ${mutant})` : ''}\n`,
  );
  const report = await runFuzz({
    seed,
    ports,
    budgetMsPerPort: firstCase !== undefined ? 10 * 60_000 : budgetMsPerPort,
    firstCase,
    maxCases: firstCase !== undefined ? count : undefined,
    unsafeSkipValidation,
    mutant,
    // With validation off a crash leaves its entry in the log, and a restart would crash on it again; a mutant
    // restarted would be the program as built.
    stopAtFirstCrash: unsafeSkipValidation || mutant !== undefined,
    onProgress: (line) => process.stdout.write(`${line}\n`),
  });
  const rejected = Object.entries(report.rejected).sort((a, b) => b[1] - a[1]);
  process.stdout.write(`\ncases: ${Object.entries(report.cases).map(([p, n]) => `${p} ${n}`).join(', ')}; crashes: ${report.crashes.length}; node answers afterwards: ${report.answersAfter ? 'yes' : 'NO'}\n`);
  process.stdout.write(`refused by the node (ccm_rejected_inputs_total): ${rejected.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
  for (const [port, s] of Object.entries(report.slowest)) process.stdout.write(`slowest ${port} case: ${s.ms} ms (case ${s.caseIndex}: ${s.what})\n`);
  if (report.handlerErrors.length > 0) process.stdout.write(`unexpected errors answered as internal (handler_error):\n${report.handlerErrors.map((e) => `  ${e}`).join('\n')}\n`);
  // A datagram gets no answer (its refusals are counted, and UDP may drop one): only HTTP and peer ones are judged.
  const letIn = (['http', 'peer'] as const).filter((p) => (report.outsiders[p]?.notRefused.length ?? 0) > 0);
  for (const p of letIn) process.stdout.write(`${p} cases sent as an outsider that the node did not refuse: ${report.outsiders[p]!.notRefused.join(', ')}\n`);
  process.exitCode = report.crashes.length > 0 || !report.answersAfter || report.handlerErrors.length > 0 || letIn.length > 0 ? 1 : 0;
}

/** A case as text: HTTP and gossip bytes as they are, peer bytes frame by frame (a broken tail as hex). */
function dump(port: FuzzPort, seed: number, index: number): void {
  const c = fuzzCase(seed, port, index, { target: 'n1', self: 'n2', selfGossipAddress: '127.0.0.1:<n2 gossip port>' });
  process.stdout.write(`# ${port} seed ${seed} case ${index}: ${c.what}\n`);
  for (const chunk of c.chunks) {
    if (port !== 'peer') {
      process.stdout.write(`${JSON.stringify(chunk.toString('latin1'))}\n`);
      continue;
    }
    const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    try {
      for (const f of decoder.push(chunk)) process.stdout.write(`frame: ${f.toString('utf8').slice(0, 4000)}\n`);
      if (decoder.pendingBytes > 0) process.stdout.write(`partial frame (${decoder.pendingBytes} bytes)\n`);
    } catch (err) {
      process.stdout.write(`unframeable: ${chunk.subarray(0, 16).toString('hex')}… (${(err as Error).message})\n`);
    }
  }
}

await main();
