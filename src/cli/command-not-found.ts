import { toConfiguredId, type Hook } from '@oclif/core';
import notFound from '@oclif/plugin-not-found';
import { distance } from 'fastest-levenshtein';

/** The visible command id nearest to `id` by edit distance (`statsu` → `status`, `kv:gte` → `kv:get`). */
export function closestCommand(id: string, commandIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of commandIds) {
    const d = distance(id, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * "Did you mean …?" for a mistyped command. On a terminal, @oclif/plugin-not-found asks and runs the suggestion;
 * elsewhere (a script, a pipe) that plugin prints no suggestion at all, so we print it and exit 127 as it would.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stdout.isTTY) return notFound.call(this, opts);
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const suggestion = closestCommand(opts.id, visible);
  const typed = toConfiguredId(opts.id, opts.config);
  const hint = suggestion ? ` Did you mean ${opts.config.bin} ${toConfiguredId(suggestion, opts.config)}?` : '';
  this.error(`${typed} is not a ${opts.config.bin} command.${hint} Run ${opts.config.bin} help for a list of commands.`, { exit: 127 });
};

export default hook;
