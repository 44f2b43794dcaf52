import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import '../../../src/http/operation.js';
import { ItemSchema } from '../../../src/inventory/types.js';
import { checkResponsesAgainstContract, type ResponseContract } from '../../support/response-contract.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';

/**
 * The check every HTTP test runs under (test/support/response-contract.ts, installed by
 * startTestServer): a JSON answer that does not match its route's declared schema fails loudly, and
 * the real routes' serializers send exactly their schemas' fields.
 */

const operation = { tag: 'inventory', summary: 'test route', ok: { status: 200, description: 'ok' } } as const;

describe('response contract check', () => {
  let app: FastifyInstance;
  let contract: ResponseContract;

  before(async () => {
    app = Fastify();
    contract = checkResponsesAgainstContract(app);
    // As in the real app (plugins/errors.ts): failures leave as a valid problem, which the check passes.
    app.setErrorHandler((_error, _request, reply) =>
      reply
        .status(500)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: '/docs/problems#internal',
            title: 'Internal',
            status: 500,
            detail: 'Something went wrong.',
            code: 'internal',
          }),
        ),
    );
    const schema = { response: { 200: Type.Object({ count: Type.Integer(), at: Type.String({ format: 'date-time' }) }) } };
    // Strings bypass the serializer, so these reach the check exactly as written.
    app.get('/good', { config: { operation }, schema }, async (_r, reply) =>
      reply.type('application/json').send('{"count":1,"at":"2026-01-01T00:00:00.000Z"}'),
    );
    app.get('/wrong-type', { config: { operation }, schema }, async (_r, reply) =>
      reply.type('application/json').send('{"count":"1","at":"2026-01-01T00:00:00.000Z"}'),
    );
    app.get('/bad-time', { config: { operation }, schema }, async (_r, reply) =>
      reply.type('application/json').send('{"count":1,"at":"yesterday"}'),
    );
    app.get('/undeclared', { config: { operation } }, async () => ({ anything: true }));
    app.get('/bad-problem', { config: { operation } }, async (_r, reply) =>
      reply.status(404).type('application/problem+json').send('{"title":"no code"}'),
    );
  });
  after(() => app.close());

  test('a matching body passes untouched', async () => {
    const res = await app.inject('/good');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(contract.violations, []);
  });

  for (const [path, reason] of [
    ['/wrong-type', 'does not match the declared schema'],
    ['/bad-time', 'does not match the declared schema'],
    ['/undeclared', 'declares no response schema'],
    ['/bad-problem', 'does not match the declared schema'],
  ] as const) {
    test(`${path}: a 500 and a recorded violation`, async () => {
      const before = contract.violations.length;
      const res = await app.inject(path);
      assert.equal(res.statusCode, 500);
      assert.equal(contract.violations.length, before + 1);
      assert.match(contract.violations.at(-1) ?? '', new RegExp(reason));
    });
  }
});

describe('routes serialize with their declared schemas', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('an item carries exactly the fields of the Item schema, with its nulls and ISO times', async () => {
    const c = new TestClient(server.url);
    await c.register();
    const created = await c.post('/api/items', { sku: 'A-1', name: 'Anvil' });
    assert.equal(created.status, 201);
    const { item } = created.body as { item: Record<string, unknown> };
    assert.deepEqual(Object.keys(item).sort(), Object.keys(ItemSchema.properties).sort());
    assert.equal(item.priceCents, null);
    assert.deepEqual(item.tags, []);
    assert.match(String(item.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
