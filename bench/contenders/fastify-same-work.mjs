// The same-work ceiling: bare Fastify doing everything a secure "who am I" does except the session. The
// same JSON body (the contract's v2 shape, shops included: shared/fixed-user.mjs) through a response
// schema (fast-json-stringify), the same seven security headers Stockade
// sends on /api (frozen once, set with one reply.headers call), a random request id in a header and on
// the log line, and the same one access-log line per request written the same way (pino, asynchronous
// destination on stdout, at completion). No cookie is read, no session looked up, no CSRF token derived:
// Stockade's ratio to this contender is what its session layer costs.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { pino } from 'pino';
import { openPool, ensureSchema, listItems, createItem, port } from './shared/store.mjs';
import { FIXED_MERCHANT, FIXED_SESSION_BODY } from './shared/fixed-user.mjs';

const pool = openPool(process.env.DATABASE_URL);
await ensureSchema(pool);

// What Stockade's security plugin sends on every /api answer with the shipped defaults (COOKIE_SECURE on,
// hence HSTS), copied from a live answer.
const API_HEADERS = Object.freeze({
  'content-security-policy':
    "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'none';frame-ancestors 'none';form-action 'self'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
});

// The log line Stockade writes at completion, with the same fields; `auth` is a constant here (there is
// no session), so the line weighs the same.
const AUTH = { userId: FIXED_SESSION_BODY.user.id, sessionId: FIXED_SESSION_BODY.session.id };
const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
setInterval(() => destination.flush(), 250).unref();
const logger = pino(
  {
    level: 'info',
    serializers: {
      req: (request) => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip }),
    },
  },
  destination,
);
const app = Fastify({
  loggerInstance: logger,
  genReqId: () => randomUUID(),
  requestIdLogLabel: 'requestId',
  disableRequestLogging: true,
});
app.addHook('onRequest', (request, reply, done) => {
  reply.headers(API_HEADERS);
  reply.header('x-request-id', request.id);
  done();
});
app.addHook('onResponse', (request, reply, done) => {
  const route = request.routeOptions.url ?? 'unmatched';
  request.log.info({ req: request, route, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime, auth: AUTH }, 'request completed');
  done();
});

const date = { type: 'string' };
const SessionBody = {
  type: 'object',
  properties: {
    user: { type: 'object', properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' }, createdAt: date } },
    session: {
      type: 'object',
      properties: { id: { type: 'string' }, createdAt: date, lastSeenAt: date, authenticatedAt: date, idleExpiresAt: date, absoluteExpiresAt: date },
    },
    csrfToken: { type: 'string' },
    // Nullable as in Stockade's contract (null for an administrator), written as a type list: Stockade's
    // TypeBox schema says anyOf, which fast-json-stringify settles with a validator on every answer —
    // a cost Stockade avoids by serialising once per session, and one the ceiling should not be charged.
    shop: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, currency: { type: 'string' }, timezone: { type: 'string' } },
    },
    shops: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } } },
    },
  },
};

const signIn = (code) => async (_req, reply) => {
  reply.header('set-cookie', 'sid=bench; Path=/; HttpOnly; SameSite=Lax');
  reply.code(code);
  return { user: FIXED_SESSION_BODY.user, session: FIXED_SESSION_BODY.session, csrfToken: FIXED_SESSION_BODY.csrfToken };
};
app.get('/healthz', async () => ({ ok: true }));
app.post('/api/auth/register', signIn(201));
app.post('/api/auth/login', signIn(200));
app.get('/api/auth/session', { schema: { response: { 200: SessionBody } } }, async () => FIXED_SESSION_BODY);
app.post('/api/auth/logout', async (_req, reply) => reply.code(204).send());
app.get('/api/items', async () => listItems(pool, FIXED_MERCHANT));
app.post('/api/items', async (req, reply) => {
  reply.code(201);
  return { item: await createItem(pool, FIXED_MERCHANT, req.body) };
});
await app.listen({ port: port(), host: '127.0.0.1' });
// Exit cleanly on SIGTERM, so `node --cpu-prof` (bench/profile.mjs) writes its profile (and pino's
// asynchronous destination is flushed at exit).
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
