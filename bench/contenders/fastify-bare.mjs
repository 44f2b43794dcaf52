// The ceiling: Fastify with no authentication at all. "Who am I" answers a constant; items come from the
// same PostgreSQL query every other contender runs. Anything measured against it is the cost of auth.
import Fastify from 'fastify';
import { openPool, ensureSchema, listItems, createItem, port } from './shared/store.mjs';
import { FIXED_MERCHANT, FIXED_SESSION_BODY } from './shared/fixed-user.mjs';

const pool = openPool(process.env.DATABASE_URL);
await ensureSchema(pool);
const app = Fastify({ logger: false });

const signIn = (code) => async (_req, reply) => {
  reply.header('set-cookie', 'sid=bench; Path=/; HttpOnly; SameSite=Lax');
  reply.code(code);
  return { user: FIXED_SESSION_BODY.user, session: FIXED_SESSION_BODY.session, csrfToken: FIXED_SESSION_BODY.csrfToken };
};
app.get('/healthz', async () => ({ ok: true }));
app.post('/api/auth/register', signIn(201));
app.post('/api/auth/login', signIn(200));
app.get('/api/auth/session', async () => FIXED_SESSION_BODY);
app.post('/api/auth/logout', async (_req, reply) => reply.code(204).send());
app.get('/api/items', async () => listItems(pool, FIXED_MERCHANT));
app.post('/api/items', async (req, reply) => {
  reply.code(201);
  return { item: await createItem(pool, FIXED_MERCHANT, req.body) };
});
await app.listen({ port: port(), host: '127.0.0.1' });
// Exit cleanly on SIGTERM, so `node --cpu-prof` (bench/profile.mjs) writes its profile.
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
