import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/observability/logger.js';

/**
 * What a log line can hold, whatever is handed to the logger: requests and replies by named fields only
 * (never a header), and the secrets we handle censored wherever they appear as top-level fields.
 */

const TOKEN = 'tok3n-value-that-must-never-be-logged-0000000';

function logged(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  const log = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (l) => void lines.push(l) });
  write(log);
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes(TOKEN), lines[0]);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('logger', () => {
  test('a request is logged by method, path and address: never its headers or query', () => {
    const req = {
      method: 'GET',
      url: `/api/items?q=${TOKEN}`,
      ip: '127.0.0.1',
      headers: { cookie: `__Host-sid=${TOKEN}`, authorization: `Bearer ${TOKEN}`, 'x-csrf-token': TOKEN },
      routeOptions: { url: '/api/items' },
    };
    assert.deepEqual(logged((log) => log.info({ req }, 'x')).req, { method: 'GET', url: '/api/items', remoteAddress: '127.0.0.1' });
    // A secret in the path: the route pattern instead.
    const reset = { ...req, url: `/api/auth/password-reset/${TOKEN}`, routeOptions: { url: '/api/auth/password-reset/:token' } };
    assert.equal((logged((log) => log.info({ req: reset }, 'x')).req as { url: string }).url, '/api/auth/password-reset/:token');
  });

  test('a reply is logged by its status: never its headers (Set-Cookie)', () => {
    const res = { statusCode: 200, headers: { 'set-cookie': `__Host-sid=${TOKEN}` }, getHeaders: () => ({ 'set-cookie': TOKEN }) };
    assert.deepEqual(logged((log) => log.info({ res }, 'x')).res, { statusCode: 200 });
  });

  test('secrets as fields and raw headers are censored', () => {
    const line = logged((log) =>
      log.info(
        {
          password: TOKEN,
          currentPassword: TOKEN,
          newPassword: TOKEN,
          token: TOKEN,
          csrfToken: TOKEN,
          headers: { cookie: TOKEN, authorization: TOKEN, 'x-csrf-token': TOKEN, accept: 'json' },
        },
        'x',
      ),
    );
    for (const k of ['password', 'currentPassword', 'newPassword', 'token', 'csrfToken']) assert.equal(line[k], '[redacted]', k);
    assert.deepEqual(line.headers, { cookie: '[redacted]', authorization: '[redacted]', 'x-csrf-token': '[redacted]', accept: 'json' });
  });
});
