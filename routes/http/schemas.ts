// TypeBox schemas shared by the routes. Input is parsed by Nomad's own rules in the handlers (the
// validator compiler accepts everything), so these schemas type and document the wire format;
// test/schemas.test.ts checks real responses against the response schemas.
import { Type, type TSchema } from '@sinclair/typebox';

const Str = Type.Optional(Type.String());

/** Query parameters of every blocking read (http-semantics §2.1) plus `pretty`. */
export const ReadQuery = Type.Object(
  {
    region: Str,
    stale: Str,
    prefix: Str,
    namespace: Str,
    per_page: Str,
    next_token: Str,
    filter: Str,
    reverse: Str,
    wait: Str,
    index: Str,
    pretty: Str,
  },
  { additionalProperties: true },
);

/** Write-side query parameters (`parseWriteRequest`). */
export const WriteQuery = Type.Object(
  { region: Str, namespace: Str, idempotency_token: Str, pretty: Str },
  { additionalProperties: true },
);

export const Index = Type.Integer({ minimum: 0 });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const StringMap = Nullable(Type.Record(Type.String(), Type.String()));

/** Raw request bytes; the handler decodes them the way Go's encoding/json would. */
export const RawBody = Type.Unknown({ description: 'JSON body, decoded case-insensitively into the API struct' });

export const ErrorText = Type.String({ description: 'text/plain error message' });

export const WriteMeta = {
  Index,
};

export const QueryMeta = {
  Index,
  LastContact: Type.Integer(),
  KnownLeader: Type.Boolean(),
  NextToken: Type.String(),
};
