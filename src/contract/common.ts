import { Type, type Static, type TLiteral, type TSchema, type TSchemaOptions, type TUnion } from 'typebox';
import { CUSTOMER_ID_PATTERN } from '../domain/fair-sale.ts';

/**
 * One literal per value of a list written once in the domain (a status list): `anyOf` of `const`s
 * in the OpenAPI document, and the list's union as its static type.
 */
export const OneOf = <const T extends readonly string[]>(
  values: T,
  options?: TSchemaOptions,
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as never;

/** A positive database id; anything past 2^53 could not be told apart from its neighbours. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const Timestamp = Type.String({ format: 'date-time' });

/** The shop's id of a buyer: 1 to 128 characters of `A-Za-z0-9._:@-`. */
export const CustomerId = Type.String({
  pattern: CUSTOMER_ID_PATTERN,
  minLength: 1,
  maxLength: 128,
  description: 'The buyer, as the shop knows it: 1 to 128 characters of `A-Za-z0-9._:@-`.',
});

/** A customer id, or null when the hold named none. */
export const CustomerIdOrNull = Type.Union([CustomerId, Type.Null()], {
  description: 'The customer the hold was placed for, or null.',
});

/** An ISO 4217 currency code; amounts in it have exactly its minor unit's decimals (USD 2, JPY 0, KWD 3). */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code.' });

/** One page of items; `next_offset` is null on the last page. The example is a first page of one. */
export const PageOf = <T extends TSchema>(item: T, example: unknown) =>
  Type.Object(
    {
      items: Type.Array(item),
      limit: Type.Integer(),
      offset: Type.Integer(),
      next_offset: Type.Union([Type.Integer(), Type.Null()]),
    },
    { examples: [{ items: [example], limit: 20, offset: 0, next_offset: null }] },
  );

/** A page of `T`s as the service answers it: the shape of `PageOf`'s schema, with its items typed. */
export type PageView<T> = Omit<Static<ReturnType<typeof PageOf>>, 'items'> & { items: T[] };
