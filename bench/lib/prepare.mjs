// Before any measurement: sign every contender's load users up, give each merchant a page of items, and
// write the Cookie headers wrk will replay. Auth-less ceilings get one pseudo-session and one item page.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { register, seedItems, pool, cookieHeader, noteExpiries } from './client.mjs';

/** A cookie with less life than this left is dropped before a measurement, so the server sets a fresh one
 *  now rather than letting it lapse in the middle of a run (wrk cannot pick up new cookies). */
const MIN_COOKIE_LIFE_MS = 90_000;

export const ITEMS_PER_MERCHANT = 20;

export async function prepareLoadSessions(r, workDir, users) {
  mkdirSync(workDir, { recursive: true });
  const names = r.spec.auth ? Array.from({ length: users }, (_, i) => `load${i}`) : ['load0'];
  // Sign-ups hash a password each (bcrypt, scrypt or argon2id): a few at a time, as a browser crowd would.
  const sessions = await pool(names, 4, (u) => register(r.base, u));
  const seeded = await pool(sessions, 4, (s) => seedItems(r.base, s, ITEMS_PER_MERCHANT));
  r.hasItems = seeded.every(Boolean);
  r.sessions = sessions;
  r.cookieFile = join(workDir, `${r.spec.key}.cookies`);
  writeFileSync(r.cookieFile, `${sessions.map((s) => s.cookie).join('\n')}\n`);
  return sessions;
}

/** Users that only ever sign in (sign-in throughput and storm), kept apart from the load users so that a
 *  per-user session cap (Stockade revokes the oldest beyond 20) never logs the load users out. */
export async function prepareSigninUsers(r, workDir, users) {
  const names = Array.from({ length: users }, (_, i) => `signin${i}`);
  await pool(names, 4, (u) => register(r.base, u));
  r.loginFile = join(workDir, `${r.spec.key}.logins`);
  const { PASSWORD } = await import('./client.mjs');
  writeFileSync(r.loginFile, `${names.map((username) => JSON.stringify({ username, password: PASSWORD })).join('\n')}\n`);
}

/**
 * Before each measurement, behave like a browser coming back: ask "who am I" once per session and keep
 * whatever cookies the answer sets. wrk replays a fixed Cookie header, so without this a stack whose
 * cookie carries a short-lived cache (Better Auth's 5-minute session_data) would be measured with an
 * expired one, forever missing its cache.
 */
export async function refreshCookies(r) {
  if (!r.spec.auth) return;
  await pool(r.sessions, 4, async (s) => {
    const now = Date.now();
    const kept = s.cookie
      .split('; ')
      .filter((kv) => !(s.expiry?.[kv.split('=')[0]] < now + MIN_COOKIE_LIFE_MS))
      .join('; ');
    const res = await fetch(`${r.base}/api/auth/session`, { headers: { cookie: kept } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${r.spec.key}: a load session answers ${res.status}`);
    const set = res.headers.getSetCookie();
    s.cookie = cookieHeader(set, kept);
    s.expiry = noteExpiries(set, s.expiry);
  });
  writeFileSync(r.cookieFile, `${r.sessions.map((s) => s.cookie).join('\n')}\n`);
}
