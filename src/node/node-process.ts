/**
 * The process around one node: its last-resort error handlers, its signals, and its start. Shared by the node program
 * (main.ts: a `ccm up` node, or a detached agent) and by `ccm agent` in the foreground.
 */
import type { NodeConfig } from './node-config.js';
import { NodeRuntime } from './node-runtime.js';
import { composeNode } from './compose.js';

function logLine(source: string, level: string, message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ ts: Date.now(), source, level, message, ...fields }) + '\n');
}

/**
 * Runs a node until SIGTERM/SIGINT (a clean stop: gossip leave, and for an agent voter, out of the core), or until it
 * cannot go on. `onExit` runs just before the process exits (e.g. to remove a pid file). Exit codes: 0 after a
 * signal, 1 when the node could not start or join, 70 for a bug that escaped every handler.
 */
export async function runNodeProcess(
  source: string,
  makeConfig: () => NodeConfig,
  opts: { onExit?: () => void; sayErrorsOnStderr?: boolean } = {},
): Promise<void> {
  const onExit = opts.onExit ?? ((): void => undefined);
  const say = (message: string): void => {
    if (opts.sayErrorsOnStderr) process.stderr.write(`error: ${message}\n`);
  };
  let runtime: NodeRuntime | null = null;
  const exit = (code: number): never => {
    try {
      onExit();
    } finally {
      process.exit(code);
    }
  };
  /**
   * The node's own bugs end it, with a clear last line; input from outside never gets here (every handler of remote
   * input answers or counts its errors: ccm_rejected_inputs_total{reason="handler_error"}). A broken invariant says so.
   */
  const fatal = (err: unknown): never => {
    const e = err as Error | undefined;
    const what = e?.name?.includes('Invariant') ? 'an internal invariant was violated (a bug in ccm)' : 'an error escaped every handler (a bug in ccm)';
    logLine(source, 'fatal', `crashed: ${e?.message ?? String(err)}`, { why: what, error: e?.name, stack: e?.stack });
    return exit(70);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      const exitSoon = setTimeout(() => exit(0), 3000);
      exitSoon.unref();
      void (runtime?.stop(sig) ?? Promise.resolve()).finally(() => exit(0));
    });
  }
  try {
    runtime = new NodeRuntime(makeConfig());
    const node = runtime;
    node.requestExit = (code, why) => {
      logLine(source, 'fatal', why);
      say(why);
      void node.stop(why).finally(() => exit(code));
    };
    await runtime.start(composeNode);
  } catch (err) {
    logLine(source, 'fatal', `failed to start: ${(err as Error).message}`);
    say(`${source} failed to start: ${(err as Error).message}`);
    await runtime?.stop('start failed').catch(() => undefined);
    exit(1);
  }
}
