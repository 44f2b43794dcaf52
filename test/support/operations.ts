import type { FastifyInstance } from 'fastify';

/**
 * Every operation of an app's OpenAPI document as "METHOD /fastify/:pattern" — the key style of the
 * routes themselves, so a test can check it drove every one. The document is generated from the
 * routes' own declarations (src/http/operation.ts), so this lists every documented route.
 */
export function operationKeys(app: FastifyInstance): string[] {
  const doc = app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
}
