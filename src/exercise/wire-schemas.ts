/**
 * The two wire formats a learner's program speaks, as schemas (TypeBox, compiled once): what the harness accepts
 * from it. Anything else is garbage, reported with the offending line; nothing the program prints can throw into
 * the harness.
 *
 * - Recipes on the cluster (lease, watch, election-recipe): JSON lines on stdin/stdout, one request at a time,
 *   `{"id":3,"op":"acquire",...}` answered by `{"id":3,"ok":true,...}`; a watcher also prints
 *   `{"event":{"key","revision","value","type"}}` lines. See docs/exercises/client-protocol.md.
 * - Protocols between nodes (gossip, failure-detection, election): Maelstrom's messages,
 *   `{"src","dest","body":{"type","msg_id","in_reply_to",...}}`. See docs/exercises/node-protocol.md.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** A line as the harness takes it: the value (typed by the schema) or why it is garbage. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A compiled schema with a parse function that names the first problem in words. */
export class LineSchema<S extends TSchema> {
  private readonly check: TypeCheck<S>;
  constructor(readonly schema: S) {
    this.check = TypeCompiler.Compile(schema);
  }

  parse(line: string): Parsed<Static<S>> {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return { ok: false, reason: `not JSON (${(err as Error).message})` };
    }
    return this.validate(value);
  }

  validate(value: unknown): Parsed<Static<S>> {
    if (this.check.Check(value)) return { ok: true, value };
    const first = this.check.Errors(value).First();
    const where = first?.path ? first.path : '(the line)';
    return { ok: false, reason: first ? `${where}: ${first.message}` : 'does not match the protocol' };
  }
}

const Id = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = (max: number) => Type.String({ maxLength: max });

// ---- recipes on the cluster: the client protocol ------------------------------------------------------------------

/** A reply to one request. Which fields matter depends on the op (see docs/exercises/client-protocol.md). */
export const ClientReply = Type.Object(
  {
    id: Id,
    ok: Type.Boolean(),
    /** acquire: the fencing token of the grant. */
    token: Type.Optional(Id),
    /** campaign, is_leader: the leadership term (a fencing token too). */
    term: Type.Optional(Id),
    /** is_leader: whether the program believes it leads now. */
    leader: Type.Optional(Type.Boolean()),
    /** ok:false: held, stale, not_held, timeout, unavailable... */
    error: Type.Optional(Text(100)),
    message: Type.Optional(Text(2000)),
  },
  { additionalProperties: true },
);
export type ClientReply = Static<typeof ClientReply>;

/** One change a watcher saw. */
export const WatchEventLine = Type.Object(
  {
    event: Type.Object(
      {
        key: Type.String({ minLength: 1, maxLength: 4096 }),
        revision: Id,
        type: Type.Optional(Type.Union([Type.Literal('put'), Type.Literal('delete')])),
        value: Type.Optional(Type.Union([Text(1024 * 1024), Type.Null()])),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type WatchEventLine = Static<typeof WatchEventLine>;

export const ClientLine = new LineSchema(Type.Union([ClientReply, WatchEventLine]));
export type ClientLine = Static<typeof ClientLine.schema>;

export function isWatchEventLine(line: ClientLine): line is WatchEventLine {
  return 'event' in line;
}

// ---- protocols between nodes: Maelstrom's messages ----------------------------------------------------------------

/** Node and client ids: Maelstrom's n0, n1... and c1, c2...; any short name is accepted. */
const Address = Type.String({ minLength: 1, maxLength: 64 });

export const MessageBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    msg_id: Type.Optional(Id),
    in_reply_to: Type.Optional(Id),
  },
  { additionalProperties: true },
);

export const NodeMessage = new LineSchema(Type.Object({ src: Address, dest: Address, body: MessageBody }, { additionalProperties: true }));
export type NodeMessage = Static<typeof NodeMessage.schema>;

/** Replies the harness reads the content of, by the request it sent. */
export const ReadOk = new LineSchema(Type.Object({ type: Type.Literal('read_ok'), messages: Type.Array(Type.Integer(), { maxItems: 1_000_000 }) }, { additionalProperties: true }));
export const SuspectsOk = new LineSchema(Type.Object({ type: Type.Literal('suspects_ok'), suspects: Type.Array(Address, { maxItems: 10_000 }) }, { additionalProperties: true }));
export const LeaderOk = new LineSchema(Type.Object({ type: Type.Literal('leader_ok'), leader: Type.Union([Address, Type.Null()]) }, { additionalProperties: true }));
/** Maelstrom's error reply (code 11 temporarily-unavailable, 13 crash, ...). */
export const ErrorReply = new LineSchema(Type.Object({ type: Type.Literal('error'), code: Type.Integer(), text: Type.Optional(Text(2000)) }, { additionalProperties: true }));
