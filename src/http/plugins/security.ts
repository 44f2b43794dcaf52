import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Security headers on every response, errors and static files included (registered first, so nothing
 * escapes it): a strict CSP (no inline script or style, nothing framed, no <base>), nosniff,
 * no-referrer, COOP/CORP same-origin, HSTS when cookies are Secure (i.e. we are served over HTTPS),
 * `Cache-Control: no-store` on the API, and a request id that also tags every log line.
 */
export interface SecurityOptions {
  hsts: boolean;
}

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

async function security(app: FastifyInstance, opts: SecurityOptions) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    hsts: opts.hsts ? { maxAge: 63072000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}

export const securityPlugin = fp(security, { name: 'stockade-security', fastify: '5.x' });

/** Request ids are ours (never taken from the client, which could forge log correlation). */
export const genReqId = () => randomUUID();
