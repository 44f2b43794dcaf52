// Better Auth on Fastify, the way its Fastify guide wires it, with email + password sign-in. BA_MODE picks
// the configuration the issue compares: "pg" (sessions in PostgreSQL, the default), "redis" (Redis as
// secondary storage: sessions live there), "cookie-cache" (PostgreSQL plus the signed session-data cookie
// that lets getSession skip the database for up to 5 minutes).
// Our contract's routes call Better Auth's server API (auth.api.*), as its docs show for server routes;
// its own handler is mounted too at /api/auth/ba/* for completeness. Better Auth has no CSRF token (it
// relies on SameSite cookies and an Origin check), so csrfToken is null and logout needs no header.
import Fastify from 'fastify';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders } from 'better-auth/node';
import { randomBytes } from 'node:crypto';
import { openPool, ensureSchema, invalidCredentials, listItems, createItem, problem, port } from './shared/store.mjs';

const mode = process.env.BA_MODE ?? 'pg';
const pool = openPool(process.env.DATABASE_URL);
await ensureSchema(pool);

async function redisStorage() {
  const { createClient } = await import('redis');
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  return {
    get: (key) => client.get(key),
    set: (key, value, ttl) => (ttl ? client.set(key, value, { expiration: { type: 'EX', value: ttl } }) : client.set(key, value)),
    delete: (key) => client.del(key),
    getAndDelete: (key) => client.getDel(key),
    // Creates the counter with its TTL once; later increments never extend it (the interface's contract).
    increment: (key, ttl) =>
      client.eval("local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n", {
        keys: [key],
        arguments: [String(ttl)],
      }),
  };
}

const options = {
  database: pool,
  secret: process.env.BETTER_AUTH_SECRET ?? randomBytes(32).toString('hex'),
  baseURL: `http://127.0.0.1:${port()}`,
  basePath: '/api/auth/ba',
  emailAndPassword: { enabled: true },
  telemetry: { enabled: false },
  ...(mode === 'redis' ? { secondaryStorage: await redisStorage() } : {}),
  ...(mode === 'cookie-cache' ? { session: { cookieCache: { enabled: true, maxAge: 5 * 60 } } } : {}),
};
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

const app = Fastify({ logger: false });
app.addHook('onSend', async (req, reply) => {
  if (req.url.startsWith('/api')) reply.header('cache-control', 'no-store');
});

/** Forwards Better Auth's Set-Cookie headers to our reply. */
function passCookies(reply, headers) {
  const cookies = headers?.getSetCookie?.() ?? [];
  if (cookies.length) reply.header('set-cookie', cookies);
}

const userJson = (u) => ({ id: u.id, username: u.name, role: 'merchant', createdAt: new Date(u.createdAt).toISOString() });
const sessionJson = (s) => ({
  id: s.id,
  createdAt: new Date(s.createdAt).toISOString(),
  lastSeenAt: new Date(s.updatedAt).toISOString(),
  authenticatedAt: new Date(s.createdAt).toISOString(),
  idleExpiresAt: new Date(s.expiresAt).toISOString(),
  absoluteExpiresAt: new Date(s.expiresAt).toISOString(),
});
const email = (username) => `${String(username).toLowerCase()}@example.com`;

/** The signed-in session, forwarding any cookie Better Auth refreshes on the way (the cookie cache's
 *  session_data, a renewed session token), as a route must for the cookie cache to keep working. */
async function currentSession(req, reply) {
  const { headers, response } = await auth.api.getSession({ headers: fromNodeHeaders(req.headers), returnHeaders: true });
  passCookies(reply, headers);
  return response;
}

app.get('/healthz', async () => ({ ok: true }));

app.post('/api/auth/register', async (req, reply) => {
  const bad = invalidCredentials(req.body);
  if (bad) return reply.code(400).send(problem(400, 'validation', bad));
  try {
    const { headers, response } = await auth.api.signUpEmail({
      body: { email: email(req.body.username), password: req.body.password, name: req.body.username.toLowerCase() },
      headers: fromNodeHeaders(req.headers),
      returnHeaders: true,
    });
    passCookies(reply, headers);
    return reply.code(201).send({ user: userJson(response.user), csrfToken: null });
  } catch (e) {
    const status = e?.statusCode ?? 500;
    return reply.code(status === 422 ? 409 : status).send(problem(status, 'conflict', e?.message));
  }
});

app.post('/api/auth/login', async (req, reply) => {
  try {
    const { headers, response } = await auth.api.signInEmail({
      body: { email: email(req.body?.username ?? ''), password: String(req.body?.password ?? '') },
      headers: fromNodeHeaders(req.headers),
      returnHeaders: true,
    });
    passCookies(reply, headers);
    return { user: userJson(response.user), session: null, csrfToken: null };
  } catch {
    return reply.code(401).send(problem(401, 'unauthenticated', 'wrong username or password'));
  }
});

app.get('/api/auth/session', async (req, reply) => {
  const s = await currentSession(req, reply);
  if (!s) return reply.code(401).send(problem(401, 'unauthenticated', 'sign in first'));
  return { user: userJson(s.user), session: sessionJson(s.session), csrfToken: null };
});

app.post('/api/auth/logout', async (req, reply) => {
  const { headers } = await auth.api.signOut({ headers: fromNodeHeaders(req.headers), returnHeaders: true });
  passCookies(reply, headers);
  return reply.code(204).send();
});

app.get('/api/items', async (req, reply) => {
  const s = await currentSession(req, reply);
  if (!s) return reply.code(401).send(problem(401, 'unauthenticated', 'sign in first'));
  return listItems(pool, s.user.id);
});

app.post('/api/items', async (req, reply) => {
  const s = await currentSession(req, reply);
  if (!s) return reply.code(401).send(problem(401, 'unauthenticated', 'sign in first'));
  const item = await createItem(pool, s.user.id, req.body);
  if (!item) return reply.code(409).send(problem(409, 'conflict', 'sku exists'));
  return reply.code(201).send({ item });
});

// Better Auth's own handler, as the Fastify guide mounts it (not used by the benchmark's workloads).
app.route({
  method: ['GET', 'POST'],
  url: '/api/auth/ba/*',
  async handler(req, reply) {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const res = await auth.handler(
      new Request(url.toString(), {
        method: req.method,
        headers: fromNodeHeaders(req.headers),
        ...(req.body ? { body: JSON.stringify(req.body) } : {}),
      }),
    );
    reply.status(res.status);
    res.headers.forEach((value, key) => {
      reply.header(key, value);
    });
    return reply.send(res.body ? await res.text() : null);
  },
});

await app.listen({ port: port(), host: '127.0.0.1' });
