import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient, uniqueUsername } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * Every role sees only the controls it may use (docs/api.md "Shops, members, invitations": the
 * permission matrix; the server's access declarations in src/http/routes are the truth). One shop, one
 * person per role, each joined through an invitation (so the invited shop is their only, active shop),
 * each walking the same screens in Chromium: the account pages (Invite staff), the invite form's roles,
 * the members list, counts (start, enter, commit, abandon, scan), the count's lines, import & export,
 * the item list's label selection and the dashboard's stock value. A control shown to a role the server
 * refuses is a dead end; a control hidden from a role that may use it is a missing feature: both fail.
 */

type Role = 'viewer' | 'clerk' | 'manager' | 'owner';
const RANK: Record<Role, number> = { viewer: 0, clerk: 1, manager: 2, owner: 3 };
const atLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

let server: TestServer;
let browser: Browser;
let owner: TestClient;
let ownerName: string;
let countId: string;
const ITEM = 'Oat milk 1 l';
const people = new Map<Role, string>();

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
  owner = new TestClient(server.url);
  ownerName = uniqueUsername('owner');
  await owner.register(ownerName);
  people.set('owner', ownerName);
  const created = await owner.post('/api/items', { sku: 'OAT-1', name: ITEM, quantity: 12, costCents: 120, priceCents: 250 });
  assert.equal(created.status, 201, created.text);
  const count = await owner.post('/api/counts', { name: 'Fridge' });
  assert.equal(count.status, 201, count.text);
  countId = count.body.count.id;
  for (const role of ['viewer', 'clerk', 'manager'] as const) {
    const invited = await owner.post('/api/shop/invitations', { role });
    assert.equal(invited.status, 201, invited.text);
    const username = uniqueUsername(role);
    const joined = await new TestClient(server.url).post('/api/auth/register', {
      username,
      password: PASSWORD,
      invitation: invited.body.token,
    });
    assert.equal(joined.status, 201, joined.text);
    people.set(role, username);
  }
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Whether a control is on the page (called once the screen has shown something every role sees). */
async function shows(what: ReturnType<Page['getByRole']>): Promise<boolean> {
  return (await what.count()) > 0;
}

async function walk(page: Page, role: Role): Promise<void> {
  const say = (what: string) => `${role}: ${what}`;

  // Account pages: "Invite staff" is for managers and owners (POST /api/shop/invitations is shop:manager).
  await go(page, '/account');
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Password & privacy' }).waitFor();
  assert.equal(
    await shows(page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Invite staff' })),
    atLeast(role, 'manager'),
    say('the Invite staff link'),
  );

  // The invite form offers only the roles this person may grant (a manager: clerk and viewer).
  if (atLeast(role, 'manager')) {
    await go(page, '/account/invitations');
    await page.getByRole('button', { name: 'Create invitation link' }).waitFor();
    const offered = await page
      .getByLabel('Role')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(
      offered.sort(),
      role === 'owner' ? ['clerk', 'manager', 'owner', 'viewer'] : ['clerk', 'viewer'],
      say('roles offered'),
    );
  }

  // Shop and members: members listed to managers and owners, changed by owners only.
  await go(page, '/account/shop');
  await page.getByRole('heading', { name: 'Leave this shop' }).waitFor();
  assert.equal(await shows(page.getByRole('heading', { name: 'Members' })), atLeast(role, 'manager'), say('the members list'));
  if (atLeast(role, 'manager')) await page.getByRole('cell', { name: people.get('viewer') ?? '', exact: true }).waitFor();
  assert.equal((await page.getByLabel(/^Role of /).count()) > 0, role === 'owner', say('role pickers'));
  assert.equal(await shows(page.getByRole('button', { name: /^Remove / })), role === 'owner', say('remove buttons'));
  assert.equal(await shows(page.getByRole('heading', { name: 'Shop settings' })), role === 'owner', say('shop settings'));

  // Counts: starting one is a manager's (POST /api/counts).
  await go(page, '/counts');
  await page.getByRole('link', { name: 'Fridge' }).waitFor();
  assert.equal(await shows(page.getByRole('button', { name: 'Start count' })), atLeast(role, 'manager'), say('Start count'));

  // A count's lines: entering is a clerk's (PUT …/lines), commit and abandon a manager's.
  await go(page, `/counts/${encodeURIComponent(countId)}`);
  await page.getByRole('rowheader', { name: new RegExp(ITEM) }).waitFor();
  assert.equal((await page.getByLabel(`Counted ${ITEM}`).count()) > 0, atLeast(role, 'clerk'), say('the counted field'));
  assert.equal(await shows(page.getByRole('button', { name: 'Scan' })), atLeast(role, 'clerk'), say('Scan in a count'));
  assert.equal(await shows(page.getByRole('button', { name: 'Commit count' })), atLeast(role, 'manager'), say('Commit count'));
  assert.equal(await shows(page.getByRole('button', { name: 'Abandon' })), atLeast(role, 'manager'), say('Abandon'));

  // Import & export: everyone exports; importing (and its template) is a manager's.
  await go(page, '/import');
  await page.getByRole('button', { name: 'Download CSV' }).waitFor();
  assert.equal((await page.getByLabel('CSV file').count()) > 0, atLeast(role, 'manager'), say('the CSV file picker'));
  assert.equal(await shows(page.getByRole('button', { name: 'Download a template' })), atLeast(role, 'manager'), say('the template'));

  // The item list: labels (GET /api/items/labels) are a clerk's; new items a manager's.
  await go(page, '/items');
  await page.getByRole('link', { name: ITEM }).waitFor();
  assert.equal((await page.getByLabel(`Select ${ITEM} for labels`).count()) > 0, atLeast(role, 'clerk'), say('label selection'));
  assert.equal(await shows(page.getByRole('link', { name: 'New item' })), atLeast(role, 'manager'), say('New item'));

  // The dashboard: stock value at cost is null below manager, so no tile that can only say "—".
  await go(page, '/');
  await page.locator('[data-stat="itemCount"]', { hasText: '1' }).waitFor();
  assert.equal((await page.getByText('Stock value (at cost)').count()) > 0, atLeast(role, 'manager'), say('the stock value tile'));
}

for (const role of ['viewer', 'clerk', 'manager', 'owner'] as const) {
  const a = role === 'owner' ? 'an' : 'a';
  test(`${a} ${role} sees the controls ${a} ${role} may use, and no others`, async () => {
    const { page, context, problems } = await openPage(browser, server.url);
    try {
      await signIn(page, people.get(role) ?? '');
      await walk(page, role);
      assert.deepEqual(unexpectedProblems(problems), []);
    } catch (err) {
      await screenshot(page, `FAILED-role-controls-${role}`).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });
}
