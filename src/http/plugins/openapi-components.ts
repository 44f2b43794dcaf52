import { ERROR_CODES } from '../../errors.js';
import { REASONS } from '../../inventory/types.js';

/*
 * The response shapes of API.md as OpenAPI component schemas. Documentation only: the routes'
 * serializers never see these (see openapi.ts), so a field missing here cannot strip a field from a
 * real answer. The request side (bodies, query strings, path parameters) comes from the routes' own
 * validation schemas.
 */

const time = { type: 'string', format: 'date-time' } as const;
const id = { type: 'string', description: 'Opaque id.' } as const;
const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const cursor = { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' } as const;

const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  required,
  properties,
});

export const COMPONENT_SCHEMAS: Record<string, unknown> = {
  Problem: {
    type: 'object',
    description:
      'RFC 9457 problem details (`application/problem+json`). Clients act on `code`; `detail` is for people. ' +
      'Never a stack trace, SQL or driver message.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', example: '/docs/problems#validation' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: {
        type: 'string',
        enum: Object.keys(ERROR_CODES),
        description: Object.entries(ERROR_CODES)
          .map(([code, e]) => `\`${code}\` (${e.status}): ${e.title}`)
          .join('; '),
      },
      instance: { type: 'string', description: 'The request id (also in X-Request-Id and the server log).' },
      errors: {
        type: 'array',
        description: 'Field errors of a `validation` problem.',
        items: obj({ path: { type: 'string' }, message: { type: 'string' } }),
      },
      current: { $ref: '#/components/schemas/Item', description: 'On a stale `version` (409): the item as it is now.' },
    },
  },
  User: obj({ id, username: { type: 'string' }, role: { type: 'string', enum: ['merchant', 'admin'] }, createdAt: time }),
  Session: obj({
    id: { type: 'string', description: 'Public handle of the session; never the token.' },
    createdAt: time,
    lastSeenAt: time,
    authenticatedAt: time,
    idleExpiresAt: time,
    absoluteExpiresAt: time,
  }),
  SessionListEntry: obj({
    id: { type: 'string' },
    createdAt: time,
    lastSeenAt: time,
    idleExpiresAt: time,
    absoluteExpiresAt: time,
    userAgent: nullable('string'),
    ip: { type: ['string', 'null'], description: 'Truncated: IPv4 /24, IPv6 /48.' },
    current: { type: 'boolean' },
  }),
  SignedIn: obj({ user: { $ref: '#/components/schemas/User' }, session: { $ref: '#/components/schemas/Session' }, csrfToken: { type: 'string' } }),
  Item: obj({
    id,
    sku: { type: 'string' },
    name: { type: 'string' },
    description: nullable('string'),
    quantity: { type: 'integer', minimum: 0 },
    unit: nullable('string'),
    priceCents: nullable('integer'),
    costCents: nullable('integer'),
    lowStockThreshold: { type: 'integer', minimum: 0 },
    location: nullable('string'),
    tags: { type: 'array', items: { type: 'string' } },
    version: { type: 'integer', description: 'Send it back with a PATCH (optimistic concurrency).' },
    createdAt: time,
    updatedAt: time,
  }),
  Movement: obj({
    id,
    itemId: id,
    delta: { type: 'integer' },
    quantityAfter: { type: 'integer' },
    reason: { type: 'string', enum: [...REASONS] },
    note: nullable('string'),
    createdAt: time,
    by: { type: ['string', 'null'], description: 'The user who made the change; null once that account is gone.' },
  }),
  Summary: obj({
    itemCount: { type: 'integer' },
    totalUnits: { type: 'integer' },
    stockValueCents: { type: 'integer' },
    lowStockCount: { type: 'integer' },
  }),
  AdminUser: obj({
    id,
    username: { type: 'string' },
    role: { type: 'string', enum: ['merchant', 'admin'] },
    disabled: { type: 'boolean' },
    activeSessions: { type: 'integer' },
    createdAt: time,
    lastLoginAt: { type: ['string', 'null'], format: 'date-time' },
  }),
  AuditEvent: obj({
    id,
    type: { type: 'string' },
    at: time,
    userId: nullable('string'),
    actorId: nullable('string'),
    subject: { type: ['string', 'null'], description: 'Pseudonym of a deleted account.' },
    ip: nullable('string'),
    userAgent: nullable('string'),
    requestId: nullable('string'),
    details: { type: 'object', additionalProperties: true },
  }),
  ActivityEvent: obj({ type: { type: 'string' }, at: time, ip: nullable('string'), userAgent: nullable('string'), byAdmin: { type: 'boolean' } }),
  Readiness: obj({
    status: { type: 'string', enum: ['ready', 'degraded', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'down'] } },
  }),
};

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export { cursor, obj };
