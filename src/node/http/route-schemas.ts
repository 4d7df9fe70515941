import { Type, type TProperties } from '@sinclair/typebox';
import { compileSchema } from '../../schema/compiled-schema.js';
import { MAX_CLOCK_RATE, MIN_CLOCK_RATE } from '../../faults/faults.js';

/**
 * The HTTP API's request bodies and queries as schemas, checked by the HTTP server before a route's handler runs
 * (a misfit is 400 invalid_argument, counted as bad_body or bad_query). They say the shape: which fields, of which
 * JSON type, how long; the rules about values (a key's bytes, a TTL's range, a resource name's characters) stay in
 * the validators the handlers call, which name the field and its legal range. Unknown fields are ignored (a newer
 * client may send more), but every field a handler reads is here.
 */

const body = <T extends TProperties>(properties: T) => Type.Object(properties, { errorMessage: 'the request body must be a JSON object' });

/** Numbers in the API are JSON numbers; ranges are checked by the handlers' validators. */
const WholeNumber = (what: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, errorMessage: `${what} must be a whole number >= 0` });
const LeaseId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, errorMessage: 'lease id must be a positive integer' });
const TtlMs = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, errorMessage: 'ttl must be a whole number of milliseconds' });
const Text = (what: string, maxLength = 1024) => Type.String({ maxLength, errorMessage: `${what} must be a string of at most ${maxLength} characters` });
const Flag = (what: string) => Type.Boolean({ errorMessage: `${what} must be true or false` });
/** A value: 1 MiB of UTF-8 at most (checked in bytes by validateValue); here, at most that many characters. */
const Value = Type.String({ maxLength: 1024 * 1024, errorMessage: 'value must be a string (at most 1 MiB)' });
const Key = Type.String({ maxLength: 1024, errorMessage: 'key must be a non-empty string of at most 1024 bytes (the limit is 1024)' });
const Opt = Type.Optional;

// ---- kv --------------------------------------------------------------------------------------------------------

export const putKvBody = compileSchema(
  body({
    key: Key,
    value: Value,
    lease: Opt(WholeNumber('lease')),
    ifModRev: Opt(WholeNumber('ifModRev')),
    ifVersion: Opt(WholeNumber('ifVersion')),
    ifValue: Opt(Value),
    ifAbsent: Opt(Flag('ifAbsent')),
    /** {resource, token}: checked by validateFence. */
    fence: Opt(Type.Unknown()),
  }),
);

/** Compares and ops are checked one by one by validateCompare / validateTxnOps (after the size limits). */
export const txnBody = compileSchema(
  body({
    compare: Type.Array(Type.Unknown(), { errorMessage: 'txn needs a "compare" list' }),
    success: Opt(Type.Array(Type.Unknown(), { errorMessage: 'txn ops must be a list' })),
    failure: Opt(Type.Array(Type.Unknown(), { errorMessage: 'txn ops must be a list' })),
    fence: Opt(Type.Unknown()),
  }),
);

export const compactBody = compileSchema(body({ revision: WholeNumber('revision') }));

export const membersBody = compileSchema(
  body({ action: Text('action', 32), node: Type.String({ minLength: 1, maxLength: 256, errorMessage: 'members change needs "node", a node id' }) }),
);

export const transferLeaderBody = compileSchema(body({ to: Type.String({ minLength: 1, maxLength: 256, errorMessage: 'transfer-leader needs "to", a node id' }) }));

const boolText = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0'), Type.Literal('')], {
  errorMessage: 'must be true or false',
});
const countText = (what: string) => Type.String({ pattern: '^[0-9]{1,15}$', errorMessage: `${what} must be a whole number >= 0` });

export const getKvQuery = compileSchema(
  Type.Object({ key: Opt(Text('key')), prefix: Opt(boolText), limit: Opt(countText('limit')), serializable: Opt(boolText) }),
);

export const deleteKvQuery = compileSchema(Type.Object({ key: Opt(Text('key')), prefix: Opt(boolText), ifModRev: Opt(countText('ifModRev')), fence: Opt(Text('fence', 300)) }));

export const watchQuery = compileSchema(
  Type.Object({
    key: Opt(Text('key')),
    prefix: Opt(boolText),
    fromRev: Opt(countText('fromRev')),
    progressMs: Opt(countText('progressMs')),
    format: Opt(Type.Union([Type.Literal('ndjson'), Type.Literal('sse')], { errorMessage: 'format must be ndjson or sse' })),
  }),
);

export const eventsQuery = compileSchema(Type.Object({ since: Opt(Type.String({ pattern: '^[0-9]{0,15}$', errorMessage: 'since must be a time in ms' })) }));

// ---- locks, leases, elections -----------------------------------------------------------------------------------

export const acquireBody = compileSchema(
  body({
    holder: Text('holder', 256),
    ttlMs: TtlMs,
    wait: Opt(Flag('wait')),
    waitTimeoutMs: Opt(Type.Number({ minimum: 0, errorMessage: 'waitTimeoutMs must be a number of milliseconds' })),
  }),
);

/** A grant's secret (returned once by the grant): renewing or ending its lease needs it; its form is checked by secretHashOf. */
const Secret = Opt(Text('secret', 128));

export const leaseBody = compileSchema(body({ lease: LeaseId, secret: Secret }));

/** The body a renew or an end may carry: the grant's secret, or nothing (then the service asks for it). */
export const secretBody = compileSchema(Type.Union([Type.Undefined(), body({ secret: Secret })], { errorMessage: 'the request body must be a JSON object, or empty' }));

export const grantBody = compileSchema(body({ ttlMs: TtlMs, owner: Opt(Text('owner', 256)) }));

export const campaignBody = compileSchema(
  body({
    id: Text('candidate id', 256),
    ttlMs: Opt(TtlMs),
    waitTimeoutMs: Opt(Type.Number({ minimum: 0, errorMessage: 'waitTimeoutMs must be a number of milliseconds' })),
  }),
);

/** The body a renew may carry (none is needed): any object, or nothing. */
export const emptyBody = compileSchema(Type.Union([Type.Undefined(), Type.Object({})], { errorMessage: 'the request body must be a JSON object, or empty' }));

// ---- config, services, gossip, health, admin: objects whose fields the services validate one by one ----------------

export const anyObjectBody = compileSchema(body({}));

export const configSetBody = compileSchema(
  body({ value: Opt(Type.Unknown()), type: Opt(Text('type', 16)), by: Opt(Text('by', 256)), ifVersion: Opt(WholeNumber('ifVersion')) }),
);

export const rollbackBody = compileSchema(body({ toVersion: WholeNumber('toVersion'), by: Opt(Text('by', 256)) }));

export const importBody = compileSchema(body({ entries: Opt(Type.Unknown()), by: Opt(Text('by', 256)) }));

export const reachProbeBody = compileSchema(body({ nonce: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'reach-probe needs a "nonce" string of 1-64 characters' }) }));

export const clockRateBody = compileSchema(
  body({ rate: Type.Number({ minimum: MIN_CLOCK_RATE, maximum: MAX_CLOCK_RATE, errorMessage: `clock-rate needs "rate", a number from ${MIN_CLOCK_RATE} to ${MAX_CLOCK_RATE}` }) }),
);

/** PUT /admin/peers: every other node of the cluster, after ccm node add or remove (at most the cluster's size bound). */
export const peerListBody = compileSchema(
  body({
    peers: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^n[1-9][0-9]{0,3}$' }),
          host: Type.String({ minLength: 1, maxLength: 255 }),
          peerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
          gossipPort: Type.Integer({ minimum: 1, maximum: 65535 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000, errorMessage: 'expected {"peers": [{id, host, peerPort, gossipPort}]}' },
    ),
  }),
);

export const keyringBody = compileSchema(body({ action: Text('action', 16), key: Opt(Text('key', 256)) }));

export const clockSkewBody = compileSchema(
  body({ offsetMs: Type.Number({ minimum: -86_400_000, maximum: 86_400_000, errorMessage: 'clock-skew needs "offsetMs", a number within ±1 day' }) }),
);
