import { Type, type TSchema } from 'typebox';

/** RFC 9457 problem document, as every error response of this API is. */
export const Problem = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ location: Type.String(), pointer: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'An RFC 9457 problem document (application/problem+json).' },
);

/** A positive database id; anything past 2^53 could not be told apart from its neighbours. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const Timestamp = Type.String({ format: 'date-time' });

/** An ISO 4217 currency code; amounts in it have exactly its minor unit's decimals (USD 2, JPY 0, KWD 3). */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code.' });

/** Problem responses for the given statuses, for a route's `response` schema. */
export const problems = (...statuses: number[]): Record<number, typeof Problem> =>
  Object.fromEntries(statuses.map((s) => [s, Problem]));

/** `limit` and `offset` of a paged list. */
export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
});

/** One page of items; `next_offset` is null on the last page. */
export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    limit: Type.Integer(),
    offset: Type.Integer(),
    next_offset: Type.Union([Type.Integer(), Type.Null()]),
  });
