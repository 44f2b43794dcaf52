import { type Static, type TSchema, Type } from 'typebox';

/*
 * Building blocks of the request schemas (bodies, path parameters, query strings). Fastify validates them
 * with the app's Ajv (src/app.ts): no coercion and no removal of unknown fields, so a wrong type or an
 * unknown field is a 400 `validation`, and query strings stay strings (the handlers convert them). They
 * check shape and size only; content rules (control characters, folding, …) live in the domain, which
 * checks every value again. Handlers see `Static<>` of them through the TypeBox type provider.
 */

/**
 * A value that may be null, written `type: [T, 'null']` rather than TypeBox's `anyOf`: one error
 * ("must be string,null") for a wrong type instead of anyOf's three, as the problem's `errors` have always
 * listed it.
 */
export const NullableText = (maxLength: number) => Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength });

/** An enum of strings, declared `type: 'string'` too (a number gets "must be string", not only "must be one of"). */
export const StringEnum = <const Values extends readonly string[]>(values: Values) =>
  Type.Unsafe<Values[number]>({ type: 'string', enum: [...values] });

/** `:id`: any string up to 64 (a non-uuid is answered 404 like an unknown id, by the repository). */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

/** `limit` of a page, as its query string: digits only; the handler converts and checks the range. */
export const LimitParam = (digits: number) => Type.String({ pattern: `^[0-9]{1,${digits}}$` });

/** A query string: only the listed parameters, all optional. */
export const Query = <Properties extends Record<string, TSchema>>(properties: Properties) =>
  Type.Partial(Type.Object(properties), { additionalProperties: false });
