import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The route pattern the router matched for a request (`/api/items/:id`), read once per request.
 *
 * Fastify builds `request.routeOptions` anew on every access (an object of twelve fields and a lookup of
 * the version constraint), and a request needs the pattern four times: the request guard (security
 * headers, CSRF), the latency histogram (metrics.ts), the access line's `route` and its `req.url` for a
 * path holding a secret (access-log.ts, observability/logger.ts). Remembered on the request after the
 * first read (issue 20: ~1 µs of a "who am I"). The matched route does not change once the router has
 * chosen (nothing here calls reply.callNotFound, the one way to change it afterwards).
 */
declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Read through routePattern() only: null until read, false when no route matched (a 404, or a
     * request refused before routing), else the pattern. Never user input.
     */
    routePattern: string | false | null;
  }
}

/** Registered by the request guard (request-guard.ts), the first plugin to read it. */
export function decorateRoutePattern(app: FastifyInstance): void {
  app.decorateRequest('routePattern', null);
}

/** The matched route's pattern, or undefined when no route matched. */
export function routePattern(request: FastifyRequest): string | undefined {
  const known = request.routePattern;
  if (typeof known === 'string') return known;
  if (known === false) return undefined;
  const url = request.routeOptions.url;
  request.routePattern = url ?? false;
  return url;
}
