import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { startEvilSite } from './support/evil-site.js';
import { signIn, signUp } from './support/flows.js';
import { outcomes } from './support/server-log.js';
import { startWebServer } from './support/stockade.js';

/**
 * The browser half of the session design: the cookie is out of reach of page script and carries
 * HttpOnly/SameSite=Lax in the browser's own jar, and a page on another origin cannot use it.
 * Over plain HTTP on loopback the server runs with COOKIE_SECURE=false, so the cookie is `sid` without
 * Secure; in production (the default) it is `__Host-sid` with Secure (covered by the API tests).
 */

let server: TestServer;
let browser: Browser;
const logLines: string[] = [];

before(async () => {
  [server, browser] = await Promise.all([startWebServer({}, { logLines }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

describe('the session cookie in a real browser', () => {
  test('is HttpOnly and SameSite=Lax in the jar, never visible to document.cookie, and dies with the browser unless remembered', async () => {
    const a = await openPage(browser, server.url);
    await signUp(a.page, 'cookie-jar');

    const jar = await a.context.cookies(server.url);
    const sid = jar.find((c) => c.name === 'sid');
    assert.ok(sid, `a session cookie named sid (COOKIE_SECURE=false) in ${JSON.stringify(jar.map((c) => c.name))}`);
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.sameSite, 'Lax');
    assert.equal(sid.secure, false, 'plain-HTTP test deployment: Secure is off only because COOKIE_SECURE=false');
    assert.equal(sid.path, '/');
    assert.equal(sid.expires, -1, 'without "remember me" it is a browser-session cookie');
    assert.match(sid.value, /^[A-Za-z0-9_-]{43}$/);

    const visible = await a.page.evaluate(() => document.cookie);
    assert.ok(!visible.includes('sid'), `document.cookie shows ${JSON.stringify(visible)}`);
    assert.ok(!visible.includes(sid.value));
    // Nor does the app keep the token anywhere script can read.
    const stored = await a.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(sid.value));

    // "Remember me": a persistent cookie, still HttpOnly and Lax, and a new value (fresh session on sign-in).
    const b = await openPage(browser, server.url);
    await signIn(b.page, 'cookie-jar', undefined, true);
    const remembered = (await b.context.cookies(server.url)).find((c) => c.name === 'sid');
    assert.ok(remembered);
    assert.equal(remembered.httpOnly, true);
    assert.equal(remembered.sameSite, 'Lax');
    assert.ok(remembered.expires > Date.now() / 1000 + 86400, 'remembered for days, not for the browser session');
    assert.notEqual(remembered.value, sid.value);
    assert.ok(!(await b.page.evaluate(() => document.cookie)).includes('sid'));

    assert.deepEqual(unexpectedProblems(a.problems), []);
    assert.deepEqual(unexpectedProblems(b.problems), []);
    await a.context.close();
    await b.context.close();
  });
});

describe('cross-origin requests in a real browser', () => {
  test('a page on another origin cannot sign the merchant out or revoke their sessions', async () => {
    const victim = await openPage(browser, server.url);
    await signUp(victim.page, 'csrf-victim');
    // A second device of the same merchant, which a forged revoke-others would sign out.
    const phone = await openPage(browser, server.url);
    await signIn(phone.page, 'csrf-victim');

    const evil = await startEvilSite(server.url);
    try {
      const logMark = logLines.length;
      await victim.page.goto(evil.url);
      const results = await victim.page.evaluate(() =>
        (window as unknown as { attack: () => Promise<Record<string, string>> }).attack(),
      );
      // The JSON request needs a CORS preflight, which the API does not grant: the browser never sends it.
      assert.equal(results.cors, 'blocked');

      // The plain form post is a top-level navigation, so the test can read the server's answer.
      const [formResponse] = await Promise.all([
        victim.page.waitForResponse((r) => r.url() === `${server.url}/api/auth/logout`),
        victim.page.locator('#forged').evaluate((f: HTMLFormElement) => f.submit()),
      ]);
      assert.equal(formResponse.status(), 403);
      assert.equal((await formResponse.json()).code, 'csrf');
      await screenshot(victim.page, 'csrf-refused');

      // The no-cors "simple" request did reach the server (its answer is then withheld from the page by
      // CORP); the server's log says what it did with every forged request: refused, none applied.
      const forged = outcomes(logLines.slice(logMark)).filter((o) => o.method === 'POST');
      const revoke = forged.find((o) => o.url === '/api/sessions/revoke-others');
      assert.ok(revoke, 'the forged revoke-others reached the server');
      assert.equal(revoke.status, 403);
      assert.ok(revoke.csrfRefusal, 'refused by the CSRF check');
      assert.ok(!forged.some((o) => o.url === '/api/auth/logout' && o.status !== 403), 'no forged logout succeeded');
      assert.deepEqual(
        forged.filter((o) => o.status !== 403),
        [],
        'every POST the other origin caused was refused',
      );
    } finally {
      await evil.close();
    }

    // Both sessions survived: the victim's own tab and the phone are still signed in.
    await victim.page.goto(`${server.url}/#/account/sessions`);
    await victim.page.getByRole('heading', { name: "Where you're signed in" }).waitFor();
    await victim.page.getByText('This device').waitFor();
    assert.equal(await victim.page.locator('.session').count(), 2);
    await phone.page.reload();
    await phone.page.getByRole('button', { name: 'Sign out' }).waitFor();

    await victim.context.close();
    await phone.context.close();
  });
});
