import { Type } from 'typebox';
import { ERROR_CODES } from '../../errors.js';
import { ItemSchema } from '../../inventory/types.js';

/**
 * RFC 9457 problem details. Documentation and the test suite's response check only: problems are
 * rendered by plugins/errors.ts, never through a route's serializer (no route declares an error status).
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ examples: ['/docs/problems#validation'] }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({
      enum: Object.keys(ERROR_CODES),
      description: Object.entries(ERROR_CODES)
        .map(([code, e]) => `\`${code}\` (${e.status}): ${e.title}`)
        .join('; '),
    }),
    instance: Type.Optional(Type.String({ description: 'The request id (also in X-Request-Id and the server log).' })),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'Field errors of a `validation` problem.' }),
    ),
    current: Type.Optional({ ...ItemSchema, description: 'On a stale `version` (409): the item as it is now.' }),
  },
  {
    description:
      'RFC 9457 problem details (`application/problem+json`). Clients act on `code`; `detail` is for people. ' +
      'Never a stack trace, SQL or driver message.',
  },
);
