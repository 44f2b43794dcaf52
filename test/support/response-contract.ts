import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Value } from 'typebox/value';
import { ProblemSchema } from '../../src/http/schemas/problem.js';

/**
 * The test suite's check that every JSON answer is what the contract says (issue 12): each body is
 * parsed as sent and validated against the schema its route declares for that status (the very schema
 * the OpenAPI document shows), and every problem against the Problem schema. How it fails, loudly: the
 * answer becomes a 500 (so the test that made the request sees it at once) and the violation is kept
 * for the server's close(), which throws with the whole list — a test that ignores the status still fails.
 *
 * JSON answers of an API route that declare no schema for their status are violations too: a route
 * must not send a body the document does not describe.
 */
export interface ResponseContract {
  readonly violations: string[];
}

const jsonBody = (payload: unknown): unknown => {
  if (typeof payload === 'string') return JSON.parse(payload);
  if (Buffer.isBuffer(payload)) return JSON.parse(payload.toString('utf8'));
  return undefined; // a stream (CSV export) or nothing
};

function declaredSchema(request: FastifyRequest, status: number): unknown {
  const response = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
  return response?.[String(status)] ?? response?.[`${Math.floor(status / 100)}xx`];
}

function check(request: FastifyRequest, reply: FastifyReply, payload: unknown): string | undefined {
  const type = String(reply.getHeader('content-type') ?? '');
  if (!type.includes('json') || payload === null || payload === undefined) return undefined;
  const where = `${request.method} ${request.routeOptions.url ?? request.url} → ${reply.statusCode}`;
  let body: unknown;
  try {
    body = jsonBody(payload);
  } catch {
    return `${where}: the body is not JSON`;
  }
  if (body === undefined) return undefined;
  let schema: unknown;
  if (type.startsWith('application/problem+json')) schema = ProblemSchema;
  else {
    schema = declaredSchema(request, reply.statusCode);
    if (schema === undefined) {
      // Routes of plugins we do not own (the docs UI's /docs/json) are not part of the documented API.
      if (request.routeOptions.config?.operation === undefined) return undefined;
      return `${where}: a JSON body, but the route declares no response schema for this status`;
    }
  }
  // typebox/value checks plain JSON schemas as well as TypeBox ones (formats included).
  const errors = [...Value.Errors(schema as Parameters<typeof Value.Errors>[0], body)];
  if (errors.length === 0) return undefined;
  const shown = errors.slice(0, 5).map((e) => JSON.stringify(e));
  return `${where}: the body does not match the declared schema: ${shown.join('; ')}; body: ${JSON.stringify(body).slice(0, 500)}`;
}

export function checkResponsesAgainstContract(app: FastifyInstance): ResponseContract {
  const violations: string[] = [];
  // Root-level onSend: applies to every route of the app, including those registered before it
  // (Fastify assembles each route's hooks when the app becomes ready).
  app.addHook('onSend', async (request, reply, payload) => {
    const violation = check(request, reply, payload);
    if (violation === undefined) return payload;
    violations.push(violation);
    // statusCode 500: otherwise Fastify keeps a failure's own status (a broken 404 problem stays 404).
    throw Object.assign(new Error(`response contract: ${violation}`), { statusCode: 500 });
  });
  return { violations };
}
