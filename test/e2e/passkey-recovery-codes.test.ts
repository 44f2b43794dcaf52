import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { startTestServer } from '../support/app.js';
import { uniqueUsername } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signUp } from './support/flows.js';
import { buildWebOnce } from './support/web-build.js';

/**
 * A passkeys-only account (no authenticator app) can make new recovery codes from the Security screen,
 * as a TOTP account can (POST /api/me/mfa/recovery-codes, src/http/routes/mfa.ts, is `user`: it does not
 * care which second factor issued them). Before, the button lived only on the "authenticator app is on"
 * card, so someone whose passkey brought the codes could never replace a used or lost set. Through the
 * DevTools WebAuthn virtual authenticator at http://localhost:PORT (WebAuthn needs a host name).
 */
let server: TestServer;
let browser: Browser;
let origin: string;

before(async () => {
  const webRoot = await buildWebOnce();
  const port = await freePort();
  origin = `http://localhost:${port}`;
  [server, browser] = await Promise.all([
    startTestServer({ webRoot, env: { PORT: String(port), PUBLIC_URL: origin, ALLOWED_ORIGINS: origin } }),
    launchChromium(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('a passkeys-only user makes new recovery codes on the Security screen; the old set stops working', async () => {
  const { page, context, problems } = await openPage(browser, origin);
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const username = uniqueUsername('keys');
    await signUp(page, username);
    await go(page, '/account/security');
    await page.getByLabel('Name for the new passkey').fill('Phone');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const codes = page.getByTestId('recovery-codes').locator('code');
    await codes.first().waitFor();
    const first = await codes.allTextContents();
    assert.equal(first.length, 10);
    await page.getByRole('button', { name: "I've saved them" }).click();
    await page.getByTestId('passkey-factor').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Two-factor sign-in is on' }).count(), 0, 'no authenticator app here');

    // Two codes used up (as at two sign-ins), then a fresh set from the screen.
    const user = (await server.deps.users.findByUsername(username))!;
    assert.equal(await server.deps.secondFactors.useRecoveryCode(user.id, first[0] ?? ''), 9);
    assert.equal(await server.deps.secondFactors.useRecoveryCode(user.id, first[1] ?? ''), 8);
    await page.reload();
    await page.getByTestId('recovery-remaining').filter({ hasText: '8' }).waitFor();
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    const second = await codes.allTextContents();
    assert.equal(second.length, 10);
    assert.equal(second.filter((c) => first.includes(c)).length, 0, 'a new set, none of the old codes');
    await screenshot(page, 'passkey-recovery-codes');
    await page.getByRole('button', { name: "I've saved them" }).click();
    await page.getByTestId('recovery-remaining').filter({ hasText: '10' }).waitFor();
    assert.equal(await server.deps.secondFactors.useRecoveryCode(user.id, first[2] ?? ''), null, 'the old set no longer works');
    assert.equal(await server.deps.secondFactors.useRecoveryCode(user.id, second[0] ?? ''), 9, 'the new set does');
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-passkey-recovery-codes').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
