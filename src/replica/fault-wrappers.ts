/**
 * Test-only defects, as wrappers around the replica loop's ports, so the loop has no switch for them and a
 * simulation (or a chaos run) can plant one to show its checkers catch what the defect breaks. Never used in
 * normal operation.
 */
import type { Message } from '../raft/messages.js';
import type { Ready } from '../raft/ready.js';
import type { ReadyCore, ReplicaTransport } from './replica-loop.js';

/**
 * The defect "ack before fsync", the message half: every message leaves with the immediate ones, before the
 * write it vouches for is durable (an append ack for entries a crash may lose, a vote the voter may forget).
 */
export function sendingBeforePersist(core: ReadyCore): ReadyCore {
  return {
    hasReady: () => core.hasReady(),
    ready: (): Ready => {
      const rd = core.ready();
      // In place: advance() must be handed the very Ready that ready() returned.
      if (rd.messagesAfterPersist.length > 0) {
        rd.immediateMessages = rd.immediateMessages.concat(rd.messagesAfterPersist);
        rd.messagesAfterPersist = [];
      }
      return rd;
    },
    advance: (rd) => core.advance(rd),
  };
}

/** The defect "grant every vote": a voter that answers every vote request yes, ignoring its earlier vote and the log check. */
export function grantingEveryVote(transport: ReplicaTransport): ReplicaTransport {
  const grant = (m: Message): Message => (m.type === 'vote-resp' && m.reject ? { ...m, reject: false } : m);
  return {
    send: (messages) => transport.send(messages.map(grant)),
    ...(transport.flush ? { flush: () => transport.flush?.() } : {}),
  };
}
