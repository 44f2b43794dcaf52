import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeDatabase } from '../../../src/db/location.js';
import { isDatabaseUnavailable } from '../../../src/db/unavailable.js';

describe('isDatabaseUnavailable: which database errors are 503 (retry later), not 500', () => {
  test('connection-class failures, credentials refused, the database gone, resources exhausted', () => {
    for (const code of ['08006', '57P01', '57P03', '57P04', '28P01', '28000', '3D000', '53300', '53100', '53200', 'ECONNREFUSED']) {
      assert.equal(isDatabaseUnavailable({ code, message: 'x' }), true, code);
    }
  });

  test('TLS to the database failing at connect: its certificate expired or is not from our CA', () => {
    for (const code of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      assert.equal(isDatabaseUnavailable({ code, message: 'x' }), true, code);
    }
    assert.equal(isDatabaseUnavailable(new Error('The server does not support SSL connections')), true);
  });

  test('not bugs or bad data: unique violation, undefined table, bad input, permission denied, RLS', () => {
    for (const code of ['23505', '42P01', '22P02', '42501', '40001', 'XX000']) {
      assert.equal(isDatabaseUnavailable({ code, message: 'x' }), false, code);
    }
  });
});

describe('describeDatabase: the one line a CLI command prints', () => {
  test('host:port/database of a server, never its user or password', () => {
    assert.equal(
      describeDatabase({ databaseUrl: 'postgres://stockade:s3cret@db.example:6543/shop?sslmode=verify-full', dataDir: 'x' }),
      'PostgreSQL at db.example:6543/shop',
    );
    assert.equal(
      describeDatabase({ databaseUrl: 'postgresql://stockade:s3cret@db.example/shop', dataDir: 'x' }),
      'PostgreSQL at db.example:5432/shop',
    );
    assert.equal(
      describeDatabase({ databaseUrl: 'postgres://stockade@/shop?host=/run/postgresql', dataDir: 'x' }),
      'PostgreSQL at /run/postgresql:5432/shop',
    );
    assert.equal(
      describeDatabase({ databaseUrl: 'postgres://alice:pw@h', dataDir: 'x' }),
      'PostgreSQL at h:5432/alice',
      'the database defaults to the user name',
    );
  });

  test('the absolute path of an embedded database', () => {
    assert.equal(
      describeDatabase({ databaseUrl: undefined, dataDir: '/var/lib/stockade/main' }),
      'embedded database at /var/lib/stockade/main',
    );
    assert.equal(describeDatabase({ databaseUrl: undefined, dataDir: './data' }), `embedded database at ${process.cwd()}/data`);
  });
});
