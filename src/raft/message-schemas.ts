import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, Count, WireId, type Assert, type SameType } from '../schema/compiled-schema.js';
import { decodeConfChange, type ConfState, type Entry, type Message, type Snapshot } from './messages.js';

/**
 * The peer messages of messages.ts as schemas: what a node checks a Raft message against before it reaches the
 * core (the core trusts its inputs' shapes). Pure data; the assertions at the end fail to compile if a schema and
 * the message type it checks ever disagree. Numbers are whole and at most 2^53 − 1; every object is closed (an
 * unknown field is refused, so nothing unchecked rides along into the log or back out to other nodes).
 */

const object = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });

export const EntrySchema = object({
  index: Count,
  term: Count,
  kind: Type.Union([Type.Literal('normal'), Type.Literal('conf-change')]),
  data: Type.String(),
});

export const ConfStateSchema = object({ voters: Type.Array(WireId), learners: Type.Array(WireId) });

export const SnapshotSchema = object({
  meta: object({ index: Count, term: Count, confState: ConfStateSchema }),
  data: Type.String(),
});

const base = { from: WireId, to: WireId, term: Count };

export const MessageSchema = Type.Union([
  object({ ...base, type: Type.Literal('app'), index: Count, logTerm: Count, entries: Type.Array(EntrySchema), commit: Count }),
  object({ ...base, type: Type.Literal('app-resp'), index: Count, reject: Type.Boolean(), rejectHint: Count, logTerm: Count }),
  object({ ...base, type: Type.Union([Type.Literal('vote'), Type.Literal('pre-vote')]), index: Count, logTerm: Count, isLeaderTransfer: Type.Boolean() }),
  object({ ...base, type: Type.Union([Type.Literal('vote-resp'), Type.Literal('pre-vote-resp')]), reject: Type.Boolean() }),
  object({ ...base, type: Type.Literal('snap'), snapshot: SnapshotSchema }),
  object({ ...base, type: Type.Literal('heartbeat'), commit: Count, context: Type.String({ maxLength: 1024 }) }),
  object({ ...base, type: Type.Literal('heartbeat-resp'), context: Type.String({ maxLength: 1024 }) }),
  object({ ...base, type: Type.Literal('timeout-now') }),
]);

export const messageCheck = compileSchema(MessageSchema);

export type _EntryMatches = Assert<SameType<Static<typeof EntrySchema>, Entry>>;
export type _ConfStateMatches = Assert<SameType<Static<typeof ConfStateSchema>, ConfState>>;
export type _SnapshotMatches = Assert<SameType<Static<typeof SnapshotSchema>, Snapshot>>;
export type _MessageMatches = Assert<SameType<Static<typeof MessageSchema>, Message>>;

/**
 * Why a value is not a Raft message this node may step, or undefined. Beyond the schema, the rules every message a
 * correct peer sends keeps, whose breach would corrupt the log rather than merely mislead: an append's entries
 * follow its index one by one, in term order, none from a term after the message's own, and a membership-change
 * entry decodes. (A peer that keeps every rule and still lies, a forged leader, is beyond what Raft defends
 * against; that is what peer authentication is for.) Never throws.
 */
export function raftMessageProblem(value: unknown): string | undefined {
  const shape = messageCheck.problem(value);
  if (shape !== undefined) return shape;
  const m = value as Message;
  if (m.type === 'app') {
    if (m.logTerm > m.term) return `app: logTerm ${m.logTerm} is after the message's term ${m.term}`;
    let prevTerm = m.logTerm;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i];
      if (e.index !== m.index + 1 + i) return `app: entries[${i}] has index ${e.index}, expected ${m.index + 1 + i}`;
      if (e.term < prevTerm || e.term > m.term) return `app: entries[${i}] has term ${e.term}, outside ${prevTerm}..${m.term}`;
      prevTerm = e.term;
      if (e.kind === 'conf-change' && !isConfChangeData(e.data)) return `app: entries[${i}] is not a membership change`;
    }
  } else if (m.type === 'snap') {
    const meta = m.snapshot.meta;
    if (meta.index === 0 || meta.term > m.term) return `snap: index ${meta.index}, term ${meta.term} (message term ${m.term})`;
    if (meta.confState.voters.length === 0) return 'snap: a configuration without voters';
  }
  return undefined;
}

function isConfChangeData(data: string): boolean {
  try {
    decodeConfChange(data);
    return true;
  } catch {
    return false;
  }
}
