/**
 * Synthetic register histories that are linearizable by construction (test support, not a test): client
 * processes run read/write/cas operations on a few keys against one true register per key; each operation
 * takes effect at a random point inside its interval, in that order. Some operations time out (info): those
 * take effect, or not, at a point that may fall after the timeout. As in Jepsen, a process that times out
 * is replaced by a fresh process number.
 */
import { SeededRandom } from '../../src/random/random.js';
import type { HistoryEvent } from '../../src/check/history.js';

export interface SyntheticHistoryOptions {
  seed: number;
  processes: number;
  keys: number;
  durationMs: number;
  /** Mean time from invocation to completion. */
  latencyMs: number;
  /** Pause between a completion and the process's next invocation. */
  thinkMs: number;
  /** Probability that an operation times out (info). */
  infoProbability: number;
  /** Values written are drawn from 0 .. valueRange-1 (small ranges make the search harder, as in Jepsen). */
  valueRange: number;
}

interface PlannedOp {
  process: number;
  key: string;
  f: 'read' | 'write' | 'cas';
  input: unknown;
  invokeMs: number;
  effectMs: number;
  completeMs: number;
  isInfo: boolean;
  takesEffect: boolean;
  output?: unknown;
  failed?: boolean;
}

export function syntheticRegisterHistory(options: SyntheticHistoryOptions): HistoryEvent[] {
  const random = new SeededRandom(options.seed);
  const planned: PlannedOp[] = [];
  let nextProcess = options.processes;
  for (let slot = 0; slot < options.processes; slot++) {
    let process = slot;
    let timeMs = random.next() * options.thinkMs;
    while (timeMs < options.durationMs) {
      const key = `k${random.int(0, options.keys - 1)}`;
      const dice = random.next();
      const f = dice < 0.5 ? 'read' : dice < 0.8 ? 'write' : 'cas';
      const value = (): number => random.int(0, options.valueRange - 1);
      const input = f === 'read' ? null : f === 'write' ? value() : [value(), value()];
      const durationMs = 1 + random.next() * 2 * options.latencyMs;
      const isInfo = f !== 'read' && random.next() < options.infoProbability;
      const effectMs = timeMs + random.next() * durationMs * (isInfo ? 3 : 1);
      const completeMs = timeMs + durationMs;
      planned.push({
        process,
        key,
        f,
        input,
        invokeMs: timeMs,
        effectMs,
        completeMs,
        isInfo,
        takesEffect: !isInfo || random.next() < 0.5,
      });
      if (isInfo) process = nextProcess++;
      timeMs = completeMs + random.next() * options.thinkMs;
    }
  }

  // Apply the operations at their effect points, in order, to one true register per key.
  const registers = new Map<string, unknown>();
  for (const op of [...planned].sort((a, b) => a.effectMs - b.effectMs)) {
    if (!op.takesEffect) continue;
    const current = registers.has(op.key) ? registers.get(op.key) : null;
    if (op.f === 'read') op.output = current;
    else if (op.f === 'write') registers.set(op.key, op.input);
    else {
      const [from, to] = op.input as [number, number];
      if (current === from) registers.set(op.key, to);
      else op.failed = true;
    }
  }

  const events: HistoryEvent[] = [];
  for (const op of planned) {
    events.push({ process: op.process, type: 'invoke', f: op.f, key: op.key, value: op.input, timeMs: op.invokeMs });
    const type = op.isInfo ? 'info' : op.failed ? 'fail' : 'ok';
    const value = op.isInfo ? 'timeout' : op.f === 'read' ? op.output : op.input;
    events.push({ process: op.process, type, f: op.f, key: op.key, value, timeMs: op.completeMs });
  }
  // stable sort keeps each invoke before its own completion
  return events.sort((a, b) => a.timeMs - b.timeMs);
}
