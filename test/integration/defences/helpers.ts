import { ensureAdmin } from '../../../src/auth/bootstrap-admin.js';
import type { TestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';

/** Shared by the defences tests: admins, response normalisation, row counts, source addresses. */

/** An admin account made the way the server makes the bootstrap admin, signed in on a fresh client. */
export async function signedInAdmin(server: TestServer, username = uniqueUsername('admin')) {
  await ensureAdmin(server.deps.users, server.deps.authenticator, username, PASSWORD);
  const client = new TestClient(server.url);
  const res = await client.login(username);
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${res.text}`);
  return { client, username, id: res.body.user.id as string };
}

/** A merchant registered (and so signed in) on a fresh client. */
export async function signedInMerchant(server: TestServer) {
  const client = new TestClient(server.url);
  const user = await client.register();
  return { client, ...user };
}

/**
 * "Identical response" (docs/security.md conventions): status, content type, body without the request id
 * (`instance`), and the set of header names without date, request id and length.
 */
export function normalised(res: ApiResponse) {
  const body = typeof res.body === 'object' && res.body !== null ? { ...res.body, instance: undefined } : res.body;
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body,
    headers: [...res.headers.keys()].filter((h) => !['date', 'x-request-id', 'content-length'].includes(h)).sort(),
  };
}

/** Distinct loopback source addresses (127.0.0.N), so one test's failures do not lock another's address. */
let nextHost = 10;
export function freshAddress(): string {
  nextHost = nextHost >= 250 ? 10 : nextHost + 1;
  return `127.0.0.${nextHost}`;
}

export async function count(server: TestServer, sql: string, params: unknown[] = []): Promise<number> {
  const res = await server.db.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return Number(res.rows[0]?.n);
}

export { PASSWORD };
