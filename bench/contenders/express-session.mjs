// express + express-session + bcrypt (cost 10), the stack the seeds describe, with its session store chosen
// by SESSION_STORE: "redis" (connect-redis on node-redis) or "pg" (connect-pg-simple). Configured the way
// the READMEs say: resave false, saveUninitialized false, a secret from the environment, the session id
// regenerated at sign-in (fixation), destroyed at sign-out, HttpOnly + SameSite=Lax cookie named sid.
import express from 'express';
import session from 'express-session';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import {
  openPool, ensureSchema, invalidCredentials, insertUser, findUser, listItems, createItem, problem, port,
} from './shared/store.mjs';

const BCRYPT_COST = 10;
const IDLE_MS = 30 * 60 * 1000;
const pool = openPool(process.env.DATABASE_URL);
await ensureSchema(pool);

async function makeStore() {
  if (process.env.SESSION_STORE === 'pg') {
    const { default: connectPgSimple } = await import('connect-pg-simple');
    const PgStore = connectPgSimple(session);
    return new PgStore({ pool, createTableIfMissing: true });
  }
  const { RedisStore } = await import('connect-redis');
  const { createClient } = await import('redis');
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  return new RedisStore({ client, prefix: 'sess:' });
}

const store = await makeStore();

// A password hash to compare against when the user does not exist, so both failures cost the same.
const DUMMY_HASH = await bcrypt.hash(randomBytes(16).toString('hex'), BCRYPT_COST);

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.use(
  session({
    store,
    name: 'sid',
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: IDLE_MS },
  }),
);
app.use('/api', (_req, res, next) => {
  res.set('cache-control', 'no-store');
  next();
});

const sessionJson = (req) => ({
  id: req.sessionID.slice(0, 8),
  createdAt: req.session.createdAt,
  lastSeenAt: new Date().toISOString(),
  authenticatedAt: req.session.createdAt,
  idleExpiresAt: req.session.cookie.expires?.toISOString() ?? null,
  absoluteExpiresAt: null,
});

/** Regenerates the session id (no fixation), then stores who signed in; resolves once saved. */
function signIn(req, user) {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.user = user;
      req.session.csrfToken = randomBytes(24).toString('base64url');
      req.session.createdAt = new Date().toISOString();
      req.session.save((e) => (e ? reject(e) : resolve()));
    });
  });
}

const requireUser = (req, res, next) => {
  if (!req.session.user) return res.status(401).json(problem(401, 'unauthenticated', 'sign in first'));
  next();
};
const requireCsrf = (req, res, next) => {
  if (req.get('x-csrf-token') !== req.session.csrfToken) return res.status(403).json(problem(403, 'csrf', 'bad token'));
  next();
};

app.get('/healthz', (_req, res) => res.json({ ok: true }));

app.post('/api/auth/register', async (req, res, next) => {
  try {
    const bad = invalidCredentials(req.body);
    if (bad) return res.status(400).json(problem(400, 'validation', bad));
    const user = await insertUser(pool, req.body.username, await bcrypt.hash(req.body.password, BCRYPT_COST));
    if (!user) return res.status(409).json(problem(409, 'conflict', 'username taken'));
    await signIn(req, user);
    res.status(201).json({ user, csrfToken: req.session.csrfToken });
  } catch (e) {
    next(e);
  }
});

app.post('/api/auth/login', async (req, res, next) => {
  try {
    const found = await findUser(pool, req.body?.username ?? '');
    const ok = await bcrypt.compare(String(req.body?.password ?? ''), found?.passwordHash ?? DUMMY_HASH);
    if (!found || !ok) return res.status(401).json(problem(401, 'unauthenticated', 'wrong username or password'));
    await signIn(req, found.user);
    res.json({ user: found.user, session: sessionJson(req), csrfToken: req.session.csrfToken });
  } catch (e) {
    next(e);
  }
});

app.get('/api/auth/session', requireUser, (req, res) => {
  res.json({ user: req.session.user, session: sessionJson(req), csrfToken: req.session.csrfToken });
});

app.post('/api/auth/logout', requireUser, requireCsrf, (req, res, next) => {
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie('sid', { path: '/', httpOnly: true, sameSite: 'lax' });
    res.status(204).end();
  });
});

app.get('/api/items', requireUser, async (req, res, next) => {
  try {
    res.json(await listItems(pool, req.session.user.id));
  } catch (e) {
    next(e);
  }
});

app.post('/api/items', requireUser, requireCsrf, async (req, res, next) => {
  try {
    const item = await createItem(pool, req.session.user.id, req.body);
    if (!item) return res.status(409).json(problem(409, 'conflict', 'sku exists'));
    res.status(201).json({ item });
  } catch (e) {
    next(e);
  }
});

app.listen(port(), '127.0.0.1');
