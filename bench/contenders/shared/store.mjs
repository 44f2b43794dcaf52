// The data every reference contender shares: users (for the stacks that keep their own) and the merchant's
// items, in the contender's own PostgreSQL database. The "who am I" and items routes of every reference
// read from here, so the stacks differ only in how they find the signed-in user.
import pg from 'pg';
import { randomUUID } from 'node:crypto';

export function openPool(url) {
  // pg's default pool size (10): what a README user gets.
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => {}); // an idle client dropped at shutdown must not crash the server
  return pool;
}

export async function ensureSchema(pool) {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS bench_users (
      id uuid PRIMARY KEY,
      username text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'merchant',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS bench_items (
      id uuid PRIMARY KEY,
      merchant_id text NOT NULL,
      sku text NOT NULL,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      quantity integer NOT NULL DEFAULT 0,
      unit text NOT NULL DEFAULT 'pcs',
      price_cents integer NOT NULL DEFAULT 0,
      cost_cents integer NOT NULL DEFAULT 0,
      low_stock_threshold integer NOT NULL DEFAULT 0,
      location text NOT NULL DEFAULT '',
      tags text[] NOT NULL DEFAULT '{}',
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (merchant_id, sku)
    );
    CREATE INDEX IF NOT EXISTS bench_items_merchant_name ON bench_items (merchant_id, name);
  `);
}

export const USERNAME = /^[a-z0-9._-]{3,64}$/;

/** The contract's validation, reduced to what a benchmark exercises. Returns an error message or null. */
export function invalidCredentials(body) {
  if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') return 'username and password required';
  if (!USERNAME.test(body.username.toLowerCase())) return 'bad username';
  if (body.password.length < 8 || body.password.length > 256) return 'bad password';
  return null;
}

const userJson = (r) => ({ id: r.id, username: r.username, role: r.role, createdAt: r.created_at.toISOString() });

export async function insertUser(pool, username, passwordHash) {
  const { rows } = await pool.query(
    'INSERT INTO bench_users (id, username, password_hash) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING *',
    [randomUUID(), username.toLowerCase(), passwordHash],
  );
  return rows[0] ? userJson(rows[0]) : null;
}

export async function findUser(pool, username) {
  const { rows } = await pool.query('SELECT * FROM bench_users WHERE username = $1', [String(username).toLowerCase()]);
  return rows[0] ? { user: userJson(rows[0]), passwordHash: rows[0].password_hash } : null;
}

const ITEM_COLUMNS = `id, sku, name, description, quantity, unit, price_cents AS "priceCents", cost_cents AS "costCents",
  low_stock_threshold AS "lowStockThreshold", location, tags, version, created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function listItems(pool, merchantId, limit = 20) {
  const { rows } = await pool.query(
    `SELECT ${ITEM_COLUMNS} FROM bench_items WHERE merchant_id = $1 ORDER BY name, id LIMIT $2`,
    [merchantId, limit],
  );
  return { items: rows, nextCursor: null };
}

export async function createItem(pool, merchantId, b) {
  if (!b || typeof b.sku !== 'string' || typeof b.name !== 'string') return null;
  const { rows } = await pool.query(
    `INSERT INTO bench_items (id, merchant_id, sku, name, description, quantity, unit, price_cents, cost_cents,
       low_stock_threshold, location, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (merchant_id, sku) DO NOTHING RETURNING ${ITEM_COLUMNS}`,
    [randomUUID(), merchantId, b.sku, b.name, b.description ?? '', b.quantity ?? 0, b.unit ?? 'pcs', b.priceCents ?? 0,
      b.costCents ?? 0, b.lowStockThreshold ?? 0, b.location ?? '', b.tags ?? []],
  );
  return rows[0] ?? null;
}

export function problem(status, code, detail) {
  return { type: 'about:blank', title: code, status, detail, code };
}

export function port() {
  return Number(process.env.PORT ?? 3000);
}
