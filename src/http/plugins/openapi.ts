import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_CODES } from '../../errors.js';
import { type Access, publicScope } from '../access.js';
import { referenceComponents } from './openapi-components.js';
import type { Operation as OperationDoc } from '../operation.js';
import { PROBLEM_RESPONSES, responsesFor } from './openapi-operations.js';

/**
 * The OpenAPI 3.1 document of the HTTP contract, at /docs/json (and /docs/yaml), browsable at /docs.
 *
 * Generated, not hand-written: @fastify/swagger collects every route as it is registered (so this
 * plugin must be registered before the routes) and takes request bodies, query strings and path
 * parameters and success bodies from the routes' own schemas (the response schemas are also the routes'
 * serializers: what the document says is what is sent), who may call from the routes' own access
 * declarations (`x-access`, and the role in the security requirement; access.ts), and the tag, summary
 * and statuses from each route's `config.operation` (operation.ts, `x-operation` here). The failure
 * answers are derived in openapi-operations.ts.
 *
 * CSP: the UI is Swagger's own static bundle (no CDN). It needs inline styles (React sets `style`
 * attributes, the bundle injects <style>), so /docs — and only /docs — gets 'unsafe-inline' for styles;
 * scripts stay 'self' only. Everything else keeps the strict policy of security.ts.
 */

export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const PROBLEMS_PAGE = [
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stockade problem codes</title></head><body>',
  '<h1>Problem codes</h1><p>Every error is <code>application/problem+json</code> with one of these codes. ',
  'The full contract is at <a href="/docs">/docs</a>.</p><dl>',
  ...Object.entries(ERROR_CODES).map(([code, e]) => `<dt id="${code}"><code>${code}</code> (${e.status})</dt><dd>${e.title}</dd>`),
  '</dl></body></html>',
].join('');

/** "/api/items/{id}" (OpenAPI) → "/api/items/:id" (Fastify), to find the operation's entry. */
const fastifyPath = (openapiPath: string) => openapiPath.replace(/\{([^}]+)\}/g, ':$1');

type Operation = {
  'x-access'?: Access;
  'x-operation'?: OperationDoc;
  parameters?: unknown[];
  responses?: Record<string, unknown>;
  security?: unknown[];
  requestBody?: unknown;
};

/** Adds the answers, security and headers of every operation (see openapi-operations.ts). */
function complete(doc: { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> }) {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [lower, operation] of Object.entries(ops)) {
      const method = lower.toUpperCase();
      const url = fastifyPath(path);
      const op = operation['x-operation'];
      delete operation['x-operation'];
      const access = operation['x-access'];
      if (!op || !access) continue;
      operation.responses = responsesFor(method, url, op, access, operation.responses as Record<string, { content?: unknown }>);
      // OpenAPI 3.1 lets a requirement list the roles it needs, for any kind of scheme.
      operation.security =
        access === 'public'
          ? []
          : access === 'scraper'
            ? [{ metricsToken: [] }, {}]
            : [{ sessionCookie: access === 'user' ? [] : [access] }];
      const headers: unknown[] = [];
      if (UNSAFE.has(method) && url.startsWith('/api/')) {
        headers.push({
          name: 'X-CSRF-Token',
          in: 'header',
          required: false,
          description: 'Required whenever the request carries a session cookie: the `csrfToken` of that session.',
          schema: { type: 'string' },
        });
      }
      if (op.idempotent) {
        headers.push({
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A retry with the same key and body returns the first answer and writes nothing new; another body is 409.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        });
      }
      if (headers.length) operation.parameters = [...(operation.parameters ?? []), ...headers];
      if (op.requestBody) {
        operation.requestBody = {
          required: true,
          description: op.requestBody.description,
          content: { [op.requestBody.contentType]: { schema: { type: 'string' } } },
        };
      }
    }
  }
  // Last: the answers added above reference Problem already; the routes' own shapes become references here.
  referenceComponents(doc);
  doc.components = { ...doc.components, responses: PROBLEM_RESPONSES };
  return doc;
}

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Stockade',
        version: '1',
        description:
          'Inventory for small merchants. JSON in and out; every error is RFC 9457 problem JSON with a `code` (see the Problem schema). ' +
          'Signed-in requests carry the `__Host-sid` cookie (`sid` on plain-HTTP deployments); unsafe ones also `X-CSRF-Token`.',
      },
      tags: [
        { name: 'auth', description: 'Sign-up, sign-in, sign-out, step-up, password change' },
        { name: 'sessions', description: "The signed-in user's own sessions" },
        { name: 'inventory', description: 'Items, stock and ledger, scoped to the signed-in merchant' },
        { name: 'admin', description: 'Accounts and sessions (role admin)' },
        { name: 'privacy', description: 'Your data: activity, export, erasure' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
      components: {
        securitySchemes: {
          sessionCookie: { type: 'apiKey', in: 'cookie', name: '__Host-sid' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN' },
        },
      },
    },
    hideUntagged: true,
    transform({ schema, url, route }) {
      const op = route.config?.operation;
      // Static files of the web app and the UI's own assets are not part of the API.
      if (!op) return { schema: { ...schema, hide: true }, url };
      return {
        schema: {
          ...schema,
          tags: [op.tag],
          summary: op.summary,
          ...(op.description ? { description: op.description } : {}),
          // The route's own declarations, so the document and the guard cannot disagree; copied into the
          // operation by @fastify/swagger (x- keys) and read back by complete().
          'x-access': route.config?.access,
          'x-operation': op,
        },
        url,
      };
    },
    transformObject(documentObject) {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const { openapiObject } = documentObject;
      return complete(openapiObject as Parameters<typeof complete>[0]) as typeof openapiObject;
    },
  });

  // Every problem's `type` is /docs/problems#<code> (errors.ts): that URI names a page that says what
  // the code means, as RFC 9457 suggests. Plain HTML, no script or style: the strict CSP applies.
  app.get('/docs/problems', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PROBLEMS_PAGE),
  );

  // The UI, its assets and /docs/json are public (the contract is no secret); its routes are swagger-ui's
  // own and carry no declaration, hence the public scope (access.ts).
  await app.register(
    publicScope((scope) =>
      scope.register(swaggerUi, {
        routePrefix: '/docs',
        staticCSP: DOCS_CSP,
        uiConfig: { deepLinking: true, defaultModelsExpandDepth: 1 },
      }),
    ),
  );
}

export const openapiPlugin = fp(openapi, { name: 'stockade-openapi', fastify: '5.x' });
