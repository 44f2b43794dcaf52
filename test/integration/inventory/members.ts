import type { TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';

/** The shop roles a member may hold (docs/api.md "Shops, members, invitations"). */
export type ShopRole = 'viewer' | 'clerk' | 'manager' | 'owner';

/** The id of the shop a client signed up with (its first membership). */
export async function shopOf(server: TestServer, client: TestClient): Promise<string> {
  const res = await client.get('/api/auth/session');
  const rows = await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1 ORDER BY joined_at LIMIT 1', [
    res.body?.user?.id,
  ]);
  const id = rows.rows[0]?.shop_id;
  if (!id) throw new Error(`no shop: ${res.status} ${res.text}`);
  return id;
}

/**
 * A new user signed up through the API, then made a member of `shopId` with `role` (written in the
 * database, as the permission-matrix test does) and switched to that shop through the API.
 */
export async function memberOf(server: TestServer, shopId: string, role: ShopRole): Promise<TestClient> {
  const client = new TestClient(server.url);
  const user = await client.register();
  await server.db.query('INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3)', [shopId, user.id, role]);
  const switched = await client.post('/api/auth/shop', { shopId });
  if (switched.status !== 200) throw new Error(`switch to the shop: ${switched.status} ${switched.text}`);
  return client;
}
