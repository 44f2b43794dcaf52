import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Secret } from 'otpauth';
import type { Browser } from 'playwright-core';
import { codeAt } from '../../src/auth/second-factor/totp.js';
import type { TestServer } from '../support/app.js';
import { TestClient, uniqueUsername } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { PASSWORD, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * A shop that requires a second factor, and a member who has none: every shop request is answered
 * 403 `mfa_required` (src/http/access.ts). Instead of error notices on each tile, the app shows one
 * screen that says why (this shop requires it, you have none) and leads straight into enrolling — an
 * authenticator app or a passkey — and then back to where the member was, now working.
 */

let server: TestServer;
let browser: Browser;

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('403 mfa_required: a screen that says why, straight into setting up an app, then back to the shop', async () => {
  const owner = new TestClient(server.url);
  const o = await owner.register();
  const shopName = `${o.username}'s shop`;
  assert.equal((await owner.post('/api/items', { sku: 'MFA-1', name: 'Locked shelf stock', quantity: 7 })).status, 201);
  const invited = await owner.post('/api/shop/invitations', { role: 'clerk' });
  assert.equal(invited.status, 201, invited.text);
  const clerkName = uniqueUsername('clerk');
  const joined = await new TestClient(server.url).post('/api/auth/register', {
    username: clerkName,
    password: PASSWORD,
    invitation: invited.body.token,
  });
  assert.equal(joined.status, 201, joined.text);
  // As if the owner (with a second factor of their own) had ticked "Require two-factor sign-in".
  await server.db.query('UPDATE shops SET require_mfa = true WHERE id = (SELECT shop_id FROM memberships WHERE user_id = $1)', [o.id]);

  const { page, context, problems } = await openPage(browser, server.url);
  try {
    await signIn(page, clerkName);
    await page.goto('/#/items');
    const title = page.getByRole('heading', { level: 1, name: `${shopName} requires two-factor sign-in` });
    await title.waitFor();
    await page.getByText('You have not turned on a second factor yet').waitFor();
    assert.equal(await page.getByText("You don't have permission").count(), 0, 'no bare refusals');
    assert.equal(await page.getByRole('link', { name: 'Add a passkey' }).count(), 1, 'a passkey is offered too');
    await screenshot(page, 'mfa-required');

    // "Add a passkey" lands in the passkey's name field, ready to type; back, and the gate is still there.
    await page.getByRole('link', { name: 'Add a passkey' }).click();
    await page.waitForFunction(() => document.activeElement?.id === 'new-passkey-name');
    await page.goBack();
    await title.waitFor();

    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    // Straight into the setup: the key is already on screen, no second button to find.
    const shown = (await page.getByTestId('totp-secret').textContent()) ?? '';
    const secret = Buffer.from(Secret.fromBase32(shown.replace(/\s/g, '')).bytes);
    await page.getByLabel('Code from the app').fill(codeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByTestId('recovery-codes').locator('code').first().waitFor();
    await page.getByRole('button', { name: "I've saved them" }).click();

    await page.getByRole('button', { name: `Back to ${shopName}` }).click();
    await page.getByRole('link', { name: 'Locked shelf stock' }).waitFor();
    assert.ok(page.url().endsWith('#/items'), `back where the clerk was: ${page.url()}`);
    assert.equal(await page.getByText('requires two-factor sign-in').count(), 0);
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-mfa-required').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
