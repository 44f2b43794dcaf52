import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { startEvilSite } from './support/evil-site.js';
import { go, signIn, signInHere, signOut, signUp } from './support/flows.js';
import { outcomes } from './support/server-log.js';
import { startWebServer } from './support/stockade.js';

/**
 * The browser half of the session design: the cookie is out of reach of page script and carries
 * HttpOnly/Secure/SameSite=Lax in the browser's own jar, and a page on another origin cannot use it.
 * The server runs with production cookie settings (`__Host-sid`, Secure): Chromium stores Secure
 * cookies from http://127.0.0.1, a secure context. The plain-HTTP deployment mode (COOKIE_SECURE=false:
 * `sid`, no Secure) is checked too.
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
  test('is __Host-, HttpOnly, Secure and SameSite=Lax in the jar, never visible to page script, and dies with the browser unless remembered', async () => {
    const a = await openPage(browser, server.url);
    await signUp(a.page, 'cookie-jar');

    const jar = await a.context.cookies(server.url);
    assert.deepEqual(
      jar.map((c) => c.name),
      ['__Host-sid'],
      'one cookie, the session',
    );
    const sid = jar[0]!;
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.secure, true);
    assert.equal(sid.sameSite, 'Lax');
    assert.equal(sid.path, '/');
    assert.equal(sid.domain, '127.0.0.1', 'host-only (no Domain attribute), as __Host- demands');
    assert.equal(sid.expires, -1, 'without "remember me" it is a browser-session cookie');
    assert.match(sid.value, /^[A-Za-z0-9_-]{43}$/);

    const visible = await a.page.evaluate(() => document.cookie);
    assert.equal(visible, '', `document.cookie shows ${JSON.stringify(visible)}`);
    // Nor does the app keep the token anywhere script can read.
    const stored = await a.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(sid.value));

    // "Remember me": a persistent cookie, still HttpOnly, Secure and Lax, and a new value (fresh session).
    const b = await openPage(browser, server.url);
    await signIn(b.page, 'cookie-jar', undefined, true);
    const remembered = (await b.context.cookies(server.url)).find((c) => c.name === '__Host-sid');
    assert.ok(remembered);
    assert.equal(remembered.httpOnly, true);
    assert.equal(remembered.secure, true);
    assert.equal(remembered.sameSite, 'Lax');
    assert.ok(remembered.expires > Date.now() / 1000 + 86400, 'remembered for days, not for the browser session');
    assert.notEqual(remembered.value, sid.value);
    assert.equal(await b.page.evaluate(() => document.cookie), '');

    assert.deepEqual(unexpectedProblems(a.problems), []);
    assert.deepEqual(unexpectedProblems(b.problems), []);
    await a.context.close();
    await b.context.close();
  });

  test('in the plain-HTTP deployment mode (COOKIE_SECURE=false) it is `sid`, without Secure, still HttpOnly and Lax', async () => {
    const plain = await startWebServer({ COOKIE_SECURE: 'false' });
    try {
      const p = await openPage(browser, plain.url);
      await signUp(p.page, 'plain-http');
      const jar = await p.context.cookies(plain.url);
      assert.deepEqual(
        jar.map((c) => c.name),
        ['sid'],
      );
      assert.equal(jar[0]?.httpOnly, true);
      assert.equal(jar[0]?.secure, false);
      assert.equal(jar[0]?.sameSite, 'Lax');
      assert.equal(await p.page.evaluate(() => document.cookie), '');
      await p.context.close();
    } finally {
      await plain.close();
    }
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
      const results = await victim.page.evaluate(() => (window as unknown as { attack: () => Promise<Record<string, string>> }).attack());
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

describe('merchants and sessions across browser contexts', () => {
  test("two merchants in two browser contexts never see each other's items", async () => {
    const a = await openPage(browser, server.url);
    const b = await openPage(browser, server.url);
    await Promise.all([signUp(a.page, 'iso-alpha'), signUp(b.page, 'iso-bravo')]);

    async function addItem(page: typeof a.page, sku: string, name: string) {
      await go(page, '/items/new');
      await page.getByLabel('SKU', { exact: true }).fill(sku);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Quantity in stock').fill('7');
      await page.getByRole('button', { name: 'Create item' }).click();
      await page.getByRole('heading', { name }).waitFor();
      return decodeURIComponent(page.url().split('/items/')[1] ?? '');
    }
    const alphaId = await addItem(a.page, 'SHARED-1', 'Alpha secret formula');
    // The same SKU in another tenant is no conflict: SKUs are unique per merchant.
    await addItem(b.page, 'SHARED-1', 'Bravo private stock');

    for (const [mine, theirs, page] of [
      ['Alpha secret formula', 'Bravo private stock', a.page],
      ['Bravo private stock', 'Alpha secret formula', b.page],
    ] as const) {
      await go(page, '/items');
      await page.getByRole('link', { name: mine }).waitFor();
      assert.equal(await page.locator('.table--items tbody tr').count(), 1);
      assert.equal(await page.getByText(theirs).count(), 0);
    }

    // Bravo searches for Alpha's item, then opens its address directly: nothing, and "no longer exists".
    await b.page.getByLabel('Search by name or SKU').fill('Alpha');
    await b.page.getByRole('button', { name: 'Search' }).click();
    await b.page.getByText('No items match these filters.').waitFor();
    await go(b.page, `/items/${encodeURIComponent(alphaId)}`);
    await b.page.getByText('That no longer exists').waitFor();
    assert.equal(await b.page.getByText('Alpha secret formula').count(), 0);
    await screenshot(b.page, 'isolation-other-merchants-item');
    await go(b.page, '/');
    await b.page.locator('[data-stat="itemCount"]', { hasText: '1' }).waitFor();

    await a.context.close();
    await b.context.close();
  });

  test('signing out in one tab sends the other to sign-in at once, and its unsaved input survives', async () => {
    const { page: tab1, context, problems } = await openPage(browser, server.url);
    await signUp(tab1, 'two-tabs');
    const tab2 = await context.newPage();
    tab2.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await tab2.goto(`${server.url}/#/items/new`);
    await tab2.getByRole('heading', { name: 'New item' }).waitFor();
    await tab2.getByLabel('SKU', { exact: true }).fill('DRAFT-1');
    await tab2.getByLabel('Name', { exact: true }).fill('Typed before the session ended');

    await signOut(tab1);

    // Without a click: the tab that signed out tells the others (issue 19).
    await tab2.getByRole('heading', { name: 'Sign in' }).waitFor();
    await tab2.getByText('You signed out in another tab.').waitFor();
    assert.equal(
      await tab2.evaluate(() => document.activeElement?.id),
      'page-title',
      'focus moves to the sign-in heading so the change is announced',
    );
    await screenshot(tab2, 'session-ended');

    // Signing back in returns to the same form with what was typed, and saving works.
    await signInHere(tab2, 'two-tabs');
    await tab2.getByText('Your unsaved changes were kept').waitFor();
    assert.equal(await tab2.getByLabel('Name', { exact: true }).inputValue(), 'Typed before the session ended');
    assert.equal(await tab2.getByLabel('SKU', { exact: true }).inputValue(), 'DRAFT-1');
    await tab2.getByRole('button', { name: 'Create item' }).click();
    await tab2.getByRole('heading', { name: 'Typed before the session ended' }).waitFor();
    assert.deepEqual(unexpectedProblems(problems), []);
    await context.close();
  });

  test('"sign out everywhere else" in one context sends another context to sign-in at once', async () => {
    const laptop = await openPage(browser, server.url);
    await signUp(laptop.page, 'everywhere');
    const phone = await openPage(browser, server.url, { viewport: { width: 375, height: 740 } });
    await signIn(phone.page, 'everywhere');
    await go(phone.page, '/items');
    await phone.page.getByText('You have no items yet.').waitFor();

    await go(laptop.page, '/account/sessions');
    await laptop.page.getByRole('heading', { name: "Where you're signed in" }).waitFor();
    await laptop.page.locator('.session').nth(1).waitFor();
    assert.equal(await laptop.page.locator('.session').count(), 2);
    await screenshot(laptop.page, 'sessions');
    await laptop.page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await laptop.page.getByText('Signed out 1 other session.').waitFor();
    assert.equal(await laptop.page.locator('.session').count(), 1);

    // The phone is told at once, without a click (its event stream, issue 19).
    await phone.page.getByText('You signed out on another device.').waitFor();
    await screenshot(phone.page, 'session-ended-phone-375px');

    await laptop.context.close();
    await phone.context.close();
  });
});
