import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { AppError, ERROR_CODES, type ErrorCode, type FieldError } from '../../errors.js';

/**
 * Every failure leaves as RFC 9457 problem JSON with a `code` from the catalogue. Clients learn what they
 * can act on; internals (stack, SQL, driver messages) go to the log only, whatever NODE_ENV says.
 */

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: Record<string, unknown> = {
    type: `/docs/problems#${error.code}`,
    title: ERROR_CODES[error.code].title,
    status: error.status,
    detail: error.detail ?? ERROR_CODES[error.code].title,
    code: error.code,
    instance: request.id,
  };
  if (error.options.errors?.length) body.errors = error.options.errors;
  if (error.options.extra) Object.assign(body, error.options.extra);
  if (error.options.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(error.options.retryAfter)));
  return reply.status(error.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

function fieldErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const extra = params.missingProperty ?? params.additionalProperty;
    const base = v.instancePath.replace(/^\//, '');
    const path = [err.validationContext === 'body' ? '' : err.validationContext, base, extra]
      .filter((p) => typeof p === 'string' && p.length > 0)
      .join('/');
    const message = params.additionalProperty ? 'is not a known field' : (v.message ?? 'is not valid');
    return { path: path || String(err.validationContext ?? 'body'), message };
  });
}

/** Translate anything thrown into an AppError (the only thing we ever render). */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as FastifyError;
  if (e?.validation) return new AppError('validation', 'The request is not valid.', { errors: fieldErrors(e) });
  if (isDatabaseUnavailable(err)) {
    return new AppError('unavailable', 'The service is temporarily unavailable; try again shortly.', { retryAfter: 5 });
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'validation';
    // Fastify's own 4xx messages (bad JSON, body too large, media type) are safe and useful; anything
    // else from a library is replaced by the catalogue title.
    const safe = typeof e.code === 'string' && e.code.startsWith('FST_') ? e.message : undefined;
    return new AppError(code, safe, status === ERROR_CODES[code].status ? {} : { status });
  }
  return null;
}

async function errors(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const known = toAppError(err);
    if (known) {
      if (known.code === 'unavailable') request.log.warn({ err }, 'dependency unavailable');
      return sendProblem(request, reply, known);
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(request, reply, new AppError('internal', 'Something went wrong on our side.'));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, new AppError('not_found', 'No such route.')));
}

export const errorsPlugin = fp(errors, { name: 'stockade-errors', fastify: '5.x' });
