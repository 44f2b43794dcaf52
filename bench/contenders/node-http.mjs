// Bare node:http, no framework and no authentication: the floor under Fastify's own overhead.
import http from 'node:http';
import { openPool, ensureSchema, listItems, createItem, port } from './shared/store.mjs';
import { FIXED_MERCHANT, FIXED_SESSION_BODY } from './shared/fixed-user.mjs';

const pool = openPool(process.env.DATABASE_URL);
await ensureSchema(pool);

function send(res, status, body, extra = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...extra,
  });
  res.end(payload);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      data += c;
      if (data.length > 1 << 20) reject(new Error('too large'));
    });
    req.on('end', () => {
      try {
        resolve(data ? JSON.parse(data) : {});
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

const signedIn = { user: FIXED_SESSION_BODY.user, session: FIXED_SESSION_BODY.session, csrfToken: FIXED_SESSION_BODY.csrfToken };
const cookie = { 'set-cookie': 'sid=bench; Path=/; HttpOnly; SameSite=Lax' };

http
  .createServer(async (req, res) => {
    try {
      const path = req.url.split('?')[0];
      const route = `${req.method} ${path}`;
      switch (route) {
        case 'GET /healthz':
          return send(res, 200, { ok: true });
        case 'GET /api/auth/session':
          return send(res, 200, FIXED_SESSION_BODY);
        case 'GET /api/items':
          return send(res, 200, await listItems(pool, FIXED_MERCHANT));
        case 'POST /api/items':
          return send(res, 201, { item: await createItem(pool, FIXED_MERCHANT, await readJson(req)) });
        case 'POST /api/auth/register':
          await readJson(req);
          return send(res, 201, signedIn, cookie);
        case 'POST /api/auth/login':
          await readJson(req);
          return send(res, 200, signedIn, cookie);
        case 'POST /api/auth/logout':
          res.writeHead(204);
          return res.end();
        default:
          return send(res, 404, { code: 'not_found' });
      }
    } catch {
      send(res, 400, { code: 'validation' });
    }
  })
  .listen(port(), '127.0.0.1');
