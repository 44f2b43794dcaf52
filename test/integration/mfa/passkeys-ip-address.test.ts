import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';

/** PUBLIC_URL naming an IP address (docs/api.md "Second factor"): browsers refuse WebAuthn there. */
describe('PUBLIC_URL naming an IP address', () => {
  test('one warning at start; the options routes answer 409 saying why', async () => {
    const lines: string[] = [];
    const server = await startTestServer({ env: { PUBLIC_URL: 'http://127.0.0.1:8080' }, logLines: lines });
    try {
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'passkeys.unavailable');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].msg, /host name/);
      const client = new TestClient(server.url);
      await client.register();
      for (const path of ['/api/me/passkeys/options', '/api/auth/passkey/options']) {
        const res = await client.post(path);
        assert.equal(res.status, 409, `${path}: ${res.text}`);
        assert.match(res.body.detail, /IP address/);
      }
    } finally {
      await server.close();
    }
  });
});
