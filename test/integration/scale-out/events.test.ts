import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { type EventStream, openEventStream } from '../../support/event-stream.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, sameSessionOn, signedIn, signedInAdmin, startFleet, waitFor } from './support.js';

/**
 * Three servers behind the shipped HAProxy configuration: a session's event stream is held by whichever
 * server the balancer picked, and a revocation made through any other server reaches it, with its
 * reason, within the revocation bound: 200 ms from the revoking request's answer (by then the message
 * is on its way to every server, docs/operations.md "Revocation propagation") to the event in the
 * browser's hands — over Redis pub/sub and PostgreSQL together, and over PostgreSQL alone.
 */
const BOUND_MS = 200;

for (const carriers of ['redis+postgres', 'postgres'] as const) {
  describe(`event streams on three servers behind HAProxy (${carriers})`, () => {
    let fleet: Fleet;
    let lb: Haproxy;
    const streams: EventStream[] = [];
    before(async () => {
      fleet = await startFleet(3, carriers === 'postgres' ? {} : { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() });
      lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
    });
    after(async () => {
      for (const s of streams) s.close();
      await lb?.stop();
      await fleet?.close();
    });

    /** Which server holds the stream(s) just opened: the one whose count went up. */
    const holders = () => fleet.servers.map((s) => s.deps.events.size);

    test('a revocation through any other server reaches the stream within the bound, with its reason', async (t) => {
      const lags: number[] = [];
      for (let round = 0; round < 6; round++) {
        const { client } = await signedIn(lb.url);
        const before = holders();
        const stream = await openEventStream(client);
        streams.push(stream);
        assert.equal(stream.status, 200);
        await waitFor('the stream is registered', () => holders().some((n, i) => n > before[i]!));
        const holder = holders().findIndex((n, i) => n > before[i]!);
        // Sign out through a server that does not hold the stream.
        const other = fleet.servers[(holder + 1 + (round % 2)) % 3]!;
        assert.equal((await sameSessionOn(client, other.url).post('/api/auth/logout')).status, 204);
        const answered = performance.now();
        const ended = await stream.next('session.ended');
        assert.deepEqual(ended.data, { reason: 'signed_out' });
        // Negative: the event was in before the logout's own answer.
        lags.push(ended.at - answered);
      }
      t.diagnostic(`sign-out answered → event: ${lags.map(Math.round).join(', ')} ms`);
      assert.ok(
        lags.every((l) => l <= BOUND_MS),
        `sign-out answered → event: ${lags.map(Math.round).join(', ')} ms (bound ${BOUND_MS})`,
      );
    });

    test('an administrator on one server revokes a merchant whose two tabs stream from others: both hear revoked', async () => {
      const { client, id } = await signedIn(lb.url);
      const tabs = [await openEventStream(client), await openEventStream(client)];
      streams.push(...tabs);
      const admin = await signedInAdmin(fleet.servers[0]!);
      assert.equal((await admin.client.post(`/api/admin/users/${id}/revoke-sessions`)).status, 200);
      const answered = performance.now();
      for (const tab of tabs) {
        const ended = await tab.next('session.ended');
        assert.deepEqual(ended.data, { reason: 'revoked' });
        assert.ok(ended.at - answered <= BOUND_MS, `admin revoke answered → event after ${Math.round(ended.at - answered)} ms`);
      }
    });
  });
}
