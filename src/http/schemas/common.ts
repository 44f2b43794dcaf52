import { type TSchema, Type } from 'typebox';

/*
 * Building blocks of the response schemas. Every response schema is used twice: Fastify compiles it
 * into the route's serializer (fast-json-stringify: only the declared fields go out, so nothing leaks),
 * and @fastify/swagger copies it into /docs/json. How it can fail: fast-json-stringify throws on a
 * missing required field (a 500, seen at once by the test hook) and coerces types (a number declared
 * string goes out as a string), so a schema must say exactly what the handler returns.
 */

/** An ISO 8601 UTC time: the handlers format dates themselves (toISOString), the serializer passes strings on. */
export const Time = Type.String({ format: 'date-time' });
export const Id = Type.String({ description: 'Opaque id.' });
export const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description ? { description } : {});
export const NextCursor = Nullable(Type.String(), 'Pass as `cursor` for the next page; null on the last page.');

/** How many sessions ended. */
export const Revoked = Type.Object({ revoked: Type.Integer() });
