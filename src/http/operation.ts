/*
 * What the OpenAPI document says about a route beyond its schemas, declared in the route's own options
 * next to its access rule and its request/response schemas:
 *     app.get('/api/items', { config: { access: 'merchant', operation: { tag, summary, ok } }, schema: { … } }, handler)
 * openapi.ts reads it from the registered route; a route without one is left out of the document, which
 * the OpenAPI test refuses (every registered API route must be documented).
 */

export interface Operation {
  tag: 'auth' | 'sessions' | 'inventory' | 'shops' | 'admin' | 'privacy' | 'operations';
  summary: string;
  description?: string;
  /**
   * The success status and its description. Its JSON body is the route's `schema.response[status]`;
   * a `contentType` says the body is text of that type instead (CSV, Prometheus).
   */
  ok: { status: number; description: string; contentType?: string };
  /** Statuses beyond the ones implied by access, method and parameters (openapi-operations.ts). */
  errors?: number[];
  /** Takes an Idempotency-Key header. */
  idempotent?: boolean;
  /** A request body the route's schema does not describe (CSV). */
  requestBody?: { contentType: string; description: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's entry in the OpenAPI document (see src/http/operation.ts). */
    operation?: Operation;
  }
}
