import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { createServerDatabase, testDatabaseUrl, testRedisUrl } from '../../support/test-databases.js';

test('createServerDatabase: migrated, isolated, dropped', async () => {
  const [one, two] = await Promise.all([createServerDatabase(), createServerDatabase()]);
  assert.notEqual(one.name, two.name);
  const client = new pg.Client(one.url);
  await client.connect();
  try {
    const t = await client.query(`SELECT to_regclass('public.users') AS u, to_regclass('public.sessions') AS s`);
    assert.deepEqual(t.rows, [{ u: 'users', s: 'sessions' }]);
  } finally {
    await client.end();
  }
  await one.drop();
  await two.drop();
  await one.drop(); // idempotent
  const admin = new pg.Client(testDatabaseUrl());
  await admin.connect();
  try {
    const left = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[one.name, two.name]]);
    assert.equal(left.rows.length, 0);
  } finally {
    await admin.end();
  }
});

test('TEST_REDIS_URL is announced by the runner', () => {
  assert.match(testRedisUrl(), /^redis:\/\//);
});

test('a missing TEST_DATABASE_URL says how to get one', async () => {
  const saved = process.env.TEST_DATABASE_URL;
  delete process.env.TEST_DATABASE_URL;
  try {
    await assert.rejects(createServerDatabase(), /TEST_DATABASE_URL is not set: run the tests through `npm test`/);
  } finally {
    process.env.TEST_DATABASE_URL = saved;
  }
});
