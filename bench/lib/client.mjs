// The harness's own HTTP client (Node's fetch): signs users up and in, seeds items, and turns Set-Cookie
// answers into the Cookie header a browser would send back. It speaks only the shared contract, so the
// same code drives every contender.
export const PASSWORD = 'bench-Passw0rd-correct-horse';

/** "a=1; Path=/…", "b=2; …" → "a=1; b=2", dropping cookies being cleared (Max-Age=0 or empty). */
export function cookieHeader(setCookies, previous = '') {
  const jar = new Map(previous ? previous.split('; ').map((kv) => [kv.split('=')[0], kv]) : []);
  for (const sc of setCookies) {
    const [kv, ...attrs] = sc.split(';').map((s) => s.trim());
    const name = kv.split('=')[0];
    const cleared = kv.endsWith('=') || attrs.some((a) => /^max-age=0$/i.test(a));
    if (cleared) jar.delete(name);
    else jar.set(name, kv);
  }
  return [...jar.values()].join('; ');
}

/** Records when each cookie set with Max-Age will expire (ms since epoch), as a browser would. */
export function noteExpiries(setCookies, expiry = {}) {
  const now = Date.now();
  for (const sc of setCookies) {
    const [kv, ...attrs] = sc.split(';').map((x) => x.trim());
    const maxAge = attrs.find((a) => /^max-age=/i.test(a));
    if (maxAge) expiry[kv.split('=')[0]] = now + Number(maxAge.split('=')[1]) * 1000;
  }
  return expiry;
}

async function post(base, path, body, headers = {}) {
  return fetch(base + path, {
    method: 'POST',
    // No content-type without a body: Fastify rightly refuses an empty application/json body.
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Signs a new user up; returns {username, cookie, csrfToken}. Throws on anything but 201. */
export async function register(base, username) {
  const res = await post(base, '/api/auth/register', { username, password: PASSWORD });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`register ${username} at ${base}: ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  const set = res.headers.getSetCookie();
  return { username, cookie: cookieHeader(set), expiry: noteExpiries(set), csrfToken: body.csrfToken };
}

export async function login(base, username) {
  const res = await post(base, '/api/auth/login', { username, password: PASSWORD });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`login ${username} at ${base}: ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  return { username, cookie: cookieHeader(res.headers.getSetCookie()), csrfToken: body.csrfToken };
}

export async function logout(base, s) {
  const res = await post(base, '/api/auth/logout', undefined, {
    cookie: s.cookie,
    ...(s.csrfToken ? { 'x-csrf-token': s.csrfToken } : {}),
  });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`logout at ${base}: ${res.status}`);
}

/** GET with the session's cookie; returns the status (body drained). */
export async function getStatus(base, path, cookie) {
  const res = await fetch(base + path, { headers: { cookie } });
  await res.arrayBuffer();
  return res.status;
}

/** Creates n items for the session's merchant, so GET /api/items has a full page to serve.
 *  Returns false when the server has no items route (yet): the items workload is then left out. */
export async function seedItems(base, s, n) {
  for (let i = 0; i < n; i++) {
    const res = await post(
      base,
      '/api/items',
      {
        sku: `SKU-${String(i).padStart(4, '0')}`,
        name: `Item ${String(i).padStart(2, '0')} of ${s.username}`,
        description: 'A thing a small merchant keeps in stock.',
        quantity: 10 + i,
        unit: 'pcs',
        priceCents: 1999 + i,
        costCents: 999 + i,
        lowStockThreshold: 5,
        location: `Shelf ${i % 4}`,
        tags: ['bench', `t${i % 3}`],
      },
      { cookie: s.cookie, ...(s.csrfToken ? { 'x-csrf-token': s.csrfToken } : {}) },
    );
    const text = await res.text();
    if (res.status === 404 && i === 0) return false;
    if (res.status !== 201) throw new Error(`create item at ${base}: ${res.status} ${text.slice(0, 200)}`);
  }
  return true;
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
