import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { linkIn, startSmtpServer, type TestSmtpServer, tokenOf } from '../../support/smtp-server.js';
import { count, freshAddress, signedInAdmin, signedInMerchant } from '../defences/helpers.js';
import { uniqueAddress, verifyAddress } from '../mail/helpers.js';
import { TestClock } from '../mfa/helpers.js';

/*
 * Invitations (docs/api.md "Shops, members, invitations"): single-use links, the same 404 for every dead
 * link, the role bounded by the inviter's, withdrawal, the public preview's throttle, the accept race
 * (20 in flight, exactly one wins), e-mail-bound links, and every write refused to viewers and clerks
 * with nothing written. On PGlite and on the PostgreSQL server.
 */

const PUBLIC_URL = 'https://shop.example';
const DAY = 86_400_000;

for (const database of ['pglite', 'postgres'] as const) {
  describe(`invitations (${database})`, () => {
    let server: TestServer;
    let smtp: TestSmtpServer;
    const clock = new TestClock();
    before(async () => {
      smtp = await startSmtpServer();
      server = await startTestServer({ database, clock: clock.now, env: { PUBLIC_URL, SMTP_URL: smtp.url } });
    });
    after(async () => {
      await server.close();
      await smtp.stop();
    });

    const shopOf = async (userId: string) =>
      (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1 ORDER BY joined_at', [userId]))
        .rows[0]!.shop_id;
    const roleIn = async (shopId: string, userId: string) =>
      (await server.db.query<{ role: string }>('SELECT role FROM memberships WHERE shop_id = $1 AND user_id = $2', [shopId, userId]))
        .rows[0]?.role;

    async function invite(c: TestClient, role: string, email?: string) {
      const res = await c.post('/api/shop/invitations', email === undefined ? { role } : { role, email });
      assert.equal(res.status, 201, res.text);
      return res.body as { invitation: { id: string; role: string }; token: string; url: string };
    }

    /** A new merchant who accepted `token` into the inviter's shop (now their active shop). */
    async function joined(token: string) {
      const m = await signedInMerchant(server);
      const res = await m.client.post(`/api/invitations/${token}/accept`);
      assert.equal(res.status, 200, res.text);
      return m;
    }

    async function assertDead(token: string, what: string) {
      const anonymous = new TestClient(server.url);
      const preview = await anonymous.get(`/api/invitations/${token}`);
      assert.equal(preview.status, 404, `${what}: preview ${preview.text}`);
      assert.equal(preview.body.code, 'not_found');
      const m = await signedInMerchant(server);
      const accept = await m.client.post(`/api/invitations/${token}/accept`);
      assert.equal(accept.status, 404, `${what}: accept ${accept.text}`);
      assert.deepEqual({ ...accept.body, instance: undefined }, { ...preview.body, instance: undefined }, `${what}: one answer`);
      assert.equal(await count(server, 'memberships WHERE user_id = $1', [m.id]), 1, `${what}: only their own shop`);
    }

    test('an owner invites a clerk: link from PUBLIC_URL, token hashed at rest, accepted once, the shop becomes active', async () => {
      const owner = await signedInMerchant(server);
      const shop = await shopOf(owner.id);
      assert.equal((await owner.client.post('/api/items', { sku: 'INV-1', name: 'Shared stock', quantity: 2 })).status, 201);
      const issued = await invite(owner.client, 'clerk');
      assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(issued.url, `${PUBLIC_URL}/#/join/${issued.token}`);
      assert.equal(issued.invitation.role, 'clerk');
      const row = (
        await server.db.query<{ token_hash: Buffer; expires_at: Date; created_at: Date }>(
          'SELECT token_hash, expires_at, created_at FROM invitations WHERE id = $1',
          [issued.invitation.id],
        )
      ).rows[0]!;
      assert.deepEqual(Buffer.from(row.token_hash), createHash('sha256').update(issued.token).digest(), 'SHA-256 of the token');
      assert.equal(row.expires_at.getTime() - row.created_at.getTime(), 7 * DAY);
      const listed = await owner.client.get('/api/shop/invitations');
      assert.equal(listed.status, 200);
      assert.ok(!listed.text.includes(issued.token), 'the list shows no token');
      assert.deepEqual(
        listed.body.invitations.map((i: { id: string }) => i.id),
        [issued.invitation.id],
      );
      assert.equal(listed.body.invitations[0].createdBy.username, owner.username);

      const preview = await new TestClient(server.url).get(`/api/invitations/${issued.token}`);
      assert.equal(preview.status, 200, preview.text);
      assert.deepEqual(preview.body, { shopName: `${owner.username}'s shop`, role: 'clerk', expiresAt: row.expires_at.toISOString() });

      const clerk = await signedInMerchant(server);
      const token = clerk.client.token;
      const accepted = await clerk.client.post(`/api/invitations/${issued.token}/accept`);
      assert.equal(accepted.status, 200, accepted.text);
      assert.equal(accepted.body.shop.id, shop);
      assert.equal(accepted.body.shop.role, 'clerk');
      assert.equal(clerk.client.token, token, 'no token rotation');
      const items = await clerk.client.get('/api/items');
      assert.deepEqual(
        items.body.items.map((i: { sku: string }) => i.sku),
        ['INV-1'],
        'the session works in the shop joined',
      );
      assert.equal(await roleIn(shop, clerk.id), 'clerk');
      assert.deepEqual((await owner.client.get('/api/shop/invitations')).body.invitations, [], 'no longer pending');

      // Single use: the link is dead for everyone now, the same 404 as an unknown one.
      await assertDead(issued.token, 'used');
      await assertDead('A'.repeat(43), 'unknown');
      await assertDead('not-a-token', 'malformed');
      const audit = await server.db.query<{ type: string; details: Record<string, unknown> }>(
        `SELECT type, details FROM audit_events WHERE type LIKE 'invitation.%' AND (user_id = $1 OR user_id = $2) ORDER BY id`,
        [owner.id, clerk.id],
      );
      assert.deepEqual(
        audit.rows.map((r) => r.type),
        ['invitation.created', 'invitation.accepted'],
      );
      assert.ok(!JSON.stringify(audit.rows).includes(issued.token), 'the audit never holds the token');
    });

    test('an expired link is the same 404 (7 days, on the server clock)', async () => {
      const owner = await signedInMerchant(server);
      const issued = await invite(owner.client, 'viewer');
      clock.offset += 7 * DAY - 60_000;
      try {
        assert.equal((await new TestClient(server.url).get(`/api/invitations/${issued.token}`)).status, 200, 'a minute before the end');
        clock.offset += 2 * 60_000;
        await assertDead(issued.token, 'expired');
      } finally {
        clock.offset = 0;
      }
    });

    test('withdrawn: gone from the list, its link dead; another shop cannot see or withdraw it (404)', async () => {
      const owner = await signedInMerchant(server);
      const keep = await invite(owner.client, 'viewer');
      const drop = await invite(owner.client, 'clerk');

      const stranger = await signedInMerchant(server);
      const foreign = await stranger.client.delete(`/api/shop/invitations/${keep.invitation.id}`);
      assert.equal(foreign.status, 404, foreign.text);
      assert.deepEqual((await stranger.client.get('/api/shop/invitations')).body.invitations, [], "another shop's list is its own");
      assert.equal(await count(server, 'invitations WHERE id = $1 AND withdrawn_at IS NULL', [keep.invitation.id]), 1, 'untouched');

      assert.equal((await owner.client.delete(`/api/shop/invitations/${drop.invitation.id}`)).status, 204);
      assert.deepEqual(
        (await owner.client.get('/api/shop/invitations')).body.invitations.map((i: { id: string }) => i.id),
        [keep.invitation.id],
      );
      await assertDead(drop.token, 'withdrawn');
      assert.equal((await owner.client.delete(`/api/shop/invitations/${drop.invitation.id}`)).status, 404, 'twice');
      assert.equal((await owner.client.delete('/api/shop/invitations/not-a-uuid')).status, 404);
      assert.equal(await count(server, `audit_events WHERE type = 'invitation.withdrawn' AND user_id = $1`, [owner.id]), 1);
      await joined(keep.token);
    });

    test('a manager invites clerks and viewers only (403 above, nothing written); a demoted inviter’s links die', async () => {
      const owner = await signedInMerchant(server);
      const shop = await shopOf(owner.id);
      const manager = await joined((await invite(owner.client, 'manager')).token);
      for (const role of ['manager', 'owner']) {
        const res = await manager.client.post('/api/shop/invitations', { role });
        assert.equal(res.status, 403, `${role}: ${res.text}`);
        assert.equal(res.body.code, 'forbidden');
      }
      assert.equal(await count(server, 'invitations WHERE created_by = $1', [manager.id]), 0, 'nothing written');
      const byManager = await invite(manager.client, 'viewer');
      const managerByOwner = await invite(owner.client, 'manager');
      const preview = await new TestClient(server.url).get(`/api/invitations/${byManager.token}`);
      assert.equal(preview.status, 200);

      // The manager becomes a clerk: a clerk may grant nothing, so their link dies (and stays dead).
      await server.db.query(`UPDATE memberships SET role = 'clerk' WHERE shop_id = $1 AND user_id = $2`, [shop, manager.id]);
      await assertDead(byManager.token, 'inviter demoted');
      assert.deepEqual(
        (await owner.client.get('/api/shop/invitations')).body.invitations.map((i: { id: string }) => i.id),
        [managerByOwner.invitation.id],
        'a dead link is not pending',
      );
      // An owner's link for a manager dies when that owner is no longer one.
      const second = await joined((await invite(owner.client, 'owner')).token);
      const bySecond = await invite(second.client, 'manager');
      await server.db.query(`UPDATE memberships SET role = 'manager' WHERE shop_id = $1 AND user_id = $2`, [shop, second.id]);
      await assertDead(bySecond.token, 'owner demoted to manager');
      await joined(managerByOwner.token);
    });

    test('viewers and clerks: every invitation write is 403 and writes nothing', async () => {
      const owner = await signedInMerchant(server);
      const pending = await invite(owner.client, 'viewer');
      const viewer = await joined((await invite(owner.client, 'viewer')).token);
      const clerk = await joined((await invite(owner.client, 'clerk')).token);
      const before = await count(server, 'invitations');
      for (const m of [viewer, clerk]) {
        for (const role of ['viewer', 'clerk', 'manager', 'owner']) {
          const res = await m.client.post('/api/shop/invitations', { role });
          assert.equal(res.status, 403, `${role}: ${res.text}`);
        }
        assert.equal((await m.client.post('/api/shop/invitations', { role: 'viewer', email: uniqueAddress() })).status, 403);
        assert.equal((await m.client.delete(`/api/shop/invitations/${pending.invitation.id}`)).status, 403);
        assert.equal((await m.client.get('/api/shop/invitations')).status, 403);
      }
      assert.equal(await count(server, 'invitations'), before, 'no invitation written');
      assert.equal(await count(server, 'invitations WHERE id = $1 AND withdrawn_at IS NULL', [pending.invitation.id]), 1, 'not withdrawn');
    });

    test('accepting into a shop you belong to is 409 and leaves the link usable; an admin is 403', async () => {
      const owner = await signedInMerchant(server);
      const issued = await invite(owner.client, 'viewer');
      const own = await owner.client.post(`/api/invitations/${issued.token}/accept`);
      assert.equal(own.status, 409, own.text);
      assert.equal(own.body.code, 'conflict');
      assert.equal(await roleIn(await shopOf(owner.id), owner.id), 'owner', 'still the owner');
      const admin = await signedInAdmin(server);
      const byAdmin = await admin.client.post(`/api/invitations/${issued.token}/accept`);
      assert.equal(byAdmin.status, 403, byAdmin.text);
      assert.equal(await count(server, 'memberships WHERE user_id = $1', [admin.id]), 0);
      assert.equal((await new TestClient(server.url).get(`/api/invitations/${issued.token}`)).status, 200, 'still valid');
      await joined(issued.token);
    });

    test('20 accepts of one link in flight: exactly one wins', async () => {
      for (let round = 0; round < 2; round++) {
        const owner = await signedInMerchant(server);
        const shop = await shopOf(owner.id);
        const issued = await invite(owner.client, 'clerk');
        const people = await Promise.all(Array.from({ length: 20 }, () => signedInMerchant(server)));
        const answers = await Promise.all(people.map((p) => p.client.post(`/api/invitations/${issued.token}/accept`)));
        const statuses = answers.map((a) => a.status).sort();
        assert.deepEqual(statuses, [200, ...Array(19).fill(404)], `round ${round}: ${statuses.join(',')}`);
        assert.equal(await count(server, 'memberships WHERE shop_id = $1', [shop]), 2, 'the owner and one newcomer');
        assert.equal(await count(server, `audit_events WHERE type = 'invitation.accepted' AND details->>'shopId' = $1`, [shop]), 1);
      }
    });

    test('a link bound to an e-mail address: mailed with the link; only the account with that verified address may accept', async () => {
      const owner = await signedInMerchant(server);
      const email = uniqueAddress('invitee');
      const bad = await owner.client.post('/api/shop/invitations', { role: 'clerk', email: 'not an address' });
      assert.equal(bad.status, 400);
      const issued = await invite(owner.client, 'clerk', email.toUpperCase());
      const mail = await smtp.waitFor((m) => m.to.includes(email.toUpperCase()) || m.to.includes(email));
      const link = linkIn(mail, 'join');
      assert.equal(link, issued.url);
      assert.ok(mail.html.includes(link), 'the HTML body carries the same link');
      assert.ok(mail.text.includes(owner.username), 'says who invites');

      const noAddress = await signedInMerchant(server);
      const otherAddress = await signedInMerchant(server);
      await verifyAddress(server, smtp, otherAddress.client);
      const unknown = await otherAddress.client.post(`/api/invitations/${'B'.repeat(43)}/accept`);
      for (const m of [noAddress, otherAddress]) {
        const res = await m.client.post(`/api/invitations/${tokenOf(link)}/accept`);
        assert.equal(res.status, 404, res.text);
        assert.deepEqual({ ...res.body, instance: undefined }, { ...unknown.body, instance: undefined }, 'the same 404 as an unknown link');
      }
      const invitee = await signedInMerchant(server);
      await verifyAddress(server, smtp, invitee.client, email);
      const ok = await invitee.client.post(`/api/invitations/${tokenOf(link)}/accept`);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.shop.role, 'clerk');
    });

    test('the public preview is throttled per address (429 with Retry-After), other addresses unaffected', async () => {
      const owner = await signedInMerchant(server);
      const issued = await invite(owner.client, 'viewer');
      const anonymous = new TestClient(server.url);
      const from = freshAddress();
      let refused: ApiResponse | undefined;
      for (let i = 0; i < 100 && !refused; i++) {
        const res = await anonymous.get(`/api/invitations/${issued.token}`, { localAddress: from });
        if (res.status === 429) refused = res;
        else assert.equal(res.status, 200, res.text);
      }
      assert.ok(refused, 'refused within 100 previews');
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal(refused.body.code, 'rate_limited');
      assert.equal((await anonymous.get(`/api/invitations/${issued.token}`, { localAddress: freshAddress() })).status, 200);
    });
  });
}
