import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { count, freshAddress } from '../defences/helpers.js';
import { enrolledMerchant, passwordStep, secondStep, TestClock } from './helpers.js';

/**
 * Code guesses count on the sign-in throttle exactly like password guesses (S-73): counted before the
 * code is checked, so the right code after the limit is refused; and the right password does not wash
 * the code failures away (else whoever holds a password could guess codes forever).
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`second-step throttling on ${database}`, () => {
    let server: TestServer;
    const clock = new TestClock();
    before(async () => {
      server = await startTestServer({ database, clock: clock.now, env: { LOGIN_MAX_FAILURES: '5' } });
    });
    after(() => server.close());

    test('five wrong codes, then the right one: 429; a new password step does not reset it', async () => {
      const m = await enrolledMerchant(server, clock);
      const from = freshAddress();
      const a = await passwordStep(server, m.username, { localAddress: from });
      for (let i = 0; i < 4; i++)
        assert.equal((await secondStep(a.client, a.cookie, { code: '000000' }, from)).status, 401, `guess ${i + 1}`);
      assert.equal((await secondStep(a.client, a.cookie, { code: '000000' }, from)).status, 429, 'the fifth locks');
      const right = await secondStep(a.client, a.cookie, { code: clock.nextCode(m.secret) }, from);
      assert.equal(right.status, 429, 'the right code after the limit');
      assert.ok(Number(right.headers.get('retry-after')) > 0);
      // Wait out nothing: sign in with the password again (refused while the pair is locked, or, once it
      // is not, a new pending sign-in) — either way the factor keys still refuse the code.
      const again = await new TestClient(server.url).login(m.username, undefined, { localAddress: from });
      assert.ok(again.status === 429 || again.body.mfaRequired === true, `password step: ${again.status}`);
      // From another address the owner is not locked out (S-74).
      const owner = await passwordStep(server, m.username, { localAddress: freshAddress() });
      const ok = await secondStep(owner.client, owner.cookie, { code: clock.nextCode(m.secret) });
      assert.equal(ok.status, 200, ok.text);
    });

    test('the right password in between does not forgive code failures: the fifth wrong code locks', async () => {
      const m = await enrolledMerchant(server, clock);
      const from = freshAddress();
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        const a = await passwordStep(server, m.username, { localAddress: from });
        for (let i = 0; i < 2; i++) statuses.push((await secondStep(a.client, a.cookie, { code: '000000' }, from)).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
    });

    test('30 wrong codes in flight: at most the limit are checked; the right code after them is refused', async () => {
      const m = await enrolledMerchant(server, clock);
      const from = freshAddress();
      const a = await passwordStep(server, m.username, { localAddress: from });
      const statuses = (await Promise.all(Array.from({ length: 30 }, () => secondStep(a.client, a.cookie, { code: '000000' }, from)))).map(
        (r) => r.status,
      );
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        JSON.stringify(statuses),
      );
      const checked = await count(server, `audit_events WHERE user_id = $1 AND type = 'mfa.failure'`, [m.id]);
      assert.ok(checked <= 5, `${checked} codes were checked`);
      assert.equal((await secondStep(a.client, a.cookie, { code: clock.nextCode(m.secret) }, from)).status, 429);
    });
  });
}
