import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { startTestServer } from '../support/app.js';
import { freePort } from '../support/ports.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signInHere, signOut, signUp } from './support/flows.js';
import { buildWebOnce } from './support/web-build.js';

/**
 * Passkeys in real Chromium (issue 15) through the DevTools WebAuthn virtual authenticator (CTAP2,
 * internal transport, resident keys, user verification), at http://localhost:PORT with PUBLIC_URL equal
 * to it (WebAuthn needs a host name, and localhost is a secure context): register one on the Security
 * screen, sign out, sign in with it and no password, use it as the second step after a password and
 * for a password reset, at step-up, and delete it.
 */
let server: TestServer;
let browser: Browser;
let origin: string;
const NEW_PASSWORD = 'a new passphrase set with a passkey';

before(async () => {
  const webRoot = await buildWebOnce();
  const port = await freePort();
  origin = `http://localhost:${port}`;
  [server, browser] = await Promise.all([
    startTestServer({ webRoot, env: { PORT: String(port), PUBLIC_URL: origin, ALLOWED_ORIGINS: origin, SESSION_LOCAL_CACHE_SIZE: '0' } }),
    launchChromium(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** A virtual platform authenticator on this page, as a phone's or laptop's built-in one. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test('register a passkey, sign out, sign in with it alone, as the second step, for a password reset, at step-up; delete it', async () => {
  const { page, problems } = await openPage(browser, origin);
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await signUp(page, 'passkey-owner');

  // Register, named.
  await go(page, '/account/security');
  await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
  await page.getByLabel('Name for the new passkey').fill('Laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  // The first second factor: the recovery codes are shown once.
  const codes = page.getByTestId('recovery-codes').locator('code');
  await codes.first().waitFor();
  assert.equal((await codes.allTextContents()).length, 10);
  await page.getByRole('button', { name: "I've saved them" }).click();
  await page.getByTestId('passkeys').getByText('Laptop').waitFor();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]?.isResidentCredential, true, 'a discoverable credential');
  assert.equal(credentials[0]?.rpId, 'localhost');
  await screenshot(page, 'passkeys-registered');

  // Rename.
  await page.getByRole('button', { name: 'Rename Laptop' }).click();
  await page.getByLabel('New name').fill('Work laptop');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('passkeys').getByText('Work laptop').waitFor();

  // Sign out; sign in with the passkey and no password.
  await signOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The password, then the passkey as the second step.
  await signOut(page);
  await signInHere(page, 'passkey-owner');
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // A password reset with the passkey as its second factor (the link as an administrator hands it out).
  const user = await server.deps.users.findByUsername('passkey-owner');
  const issued = await server.deps.passwordResets.issue({ id: user!.id }, { issuedBy: 'admin', invalidatePassword: false });
  await page.goto(`/#/reset/${issued!.token}`);
  await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('New password again').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Use a passkey instead of a code' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signInHere(page, 'passkey-owner', NEW_PASSWORD);
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // Step-up: deleting needs a fresh authentication; the session is made stale in the database (no local
  // cache on this server), the dialog asks, and the passkey answers.
  await server.db.query(`UPDATE sessions SET authenticated_at = now() - interval '1 day'`);
  await go(page, '/account/security');
  await page.getByTestId('passkeys').getByText('Work laptop').waitFor();
  await page.getByRole('button', { name: 'Delete Work laptop' }).click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Use a passkey' }).click();
  await page.getByText('No passkeys yet.').waitFor();
  const audit = await server.db.query<{ type: string }>(
    `SELECT type FROM audit_events WHERE type LIKE 'passkey.%' OR type = 'reauth.success' ORDER BY id`,
  );
  assert.deepEqual(
    audit.rows.map((r) => r.type),
    ['passkey.registered', 'passkey.renamed', 'reauth.success', 'passkey.removed'],
  );
  // The password alone signs in again.
  await signOut(page);
  await signInHere(page, 'passkey-owner', NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.deepEqual(unexpectedProblems(problems), []);
});
