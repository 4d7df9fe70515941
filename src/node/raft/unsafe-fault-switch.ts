/**
 * TEST-ONLY FAULT SWITCHES on the write path (chaos): a wrapper around the driver's propose, on only when the
 * cluster was started with `--setting unsafeFaultSwitch=<name>`, so that `ccm chaos run` can be shown to catch
 * each one. Never set in normal use. The driver itself has no switch: it proposes through whatever this returns.
 * - `ack-before-commit`: a write (a put, or a transaction, claimed to have succeeded) is acknowledged as soon
 *   as it is proposed, before it commits (its revision a guess): an acknowledged write can be lost, be
 *   invisible to a later read, or not have happened at all (a compare that failed);
 * - `grant-without-core`: a lock acquire is granted at once, without consensus: every acquirer gets the resource;
 * - `ignore-fence`: fenced writes are proposed without their fence: a stale token is accepted;
 * - `token-per-leader`: a granted acquire's fencing token comes from a counter in this process, not the log: after a
 *   leader change, tokens start again from 1.
 */
import type { Command } from '../../core/commands.js';
import type { ApplyResult } from '../../core/state-machine.js';

/** Proposes a command and resolves with its result once applied here. */
export type ProposeCommand = (command: Command, timeoutMs: number) => Promise<ApplyResult>;

/** `propose` with the named fault planted, or `propose` itself for no (or another) switch. */
export function withFaultSwitch(fault: string | undefined, propose: ProposeCommand, currentRevision: () => number): ProposeCommand {
  switch (fault) {
    case 'ack-before-commit':
      return (command, timeoutMs) => {
        if (command.op !== 'put' && command.op !== 'txn') return propose(command, timeoutMs);
        propose(command, timeoutMs).catch(() => undefined);
        const revision = currentRevision() + 1;
        if (command.op === 'put') return Promise.resolve({ op: 'put', revision });
        const results = command.success.map((op) => (op.op === 'put' ? { op: 'put' as const } : op.op === 'delete' ? { op: 'delete' as const, deleted: 0 } : { op: 'get' as const, kvs: [] }));
        return Promise.resolve({ op: 'txn', succeeded: true, revision, results });
      };
    case 'ignore-fence':
      return (command, timeoutMs) => {
        if ((command.op === 'put' || command.op === 'delete' || command.op === 'txn') && command.fence !== undefined) {
          const { fence: _ignored, ...unfenced } = command;
          return propose(unfenced as Command, timeoutMs);
        }
        return propose(command, timeoutMs);
      };
    case 'grant-without-core':
      return (command, timeoutMs) => {
        if (command.op !== 'acquire') return propose(command, timeoutMs);
        const revision = currentRevision() + 1;
        return Promise.resolve({ op: 'acquire', granted: true, resource: command.resource, holder: command.holder, lease: revision, token: revision, ttlMs: command.ttlMs, revision });
      };
    case 'token-per-leader': {
      let tokens = 0;
      return (command, timeoutMs) => {
        if (command.op !== 'acquire') return propose(command, timeoutMs);
        return propose(command, timeoutMs).then((r) => (r.op === 'acquire' && r.granted ? { ...r, token: ++tokens } : r));
      };
    }
    default:
      return propose;
  }
}
