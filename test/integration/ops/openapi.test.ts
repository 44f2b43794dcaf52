import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { closeDeps, createDeps } from '../../../src/wiring/deps.js';
import { ERROR_CODES } from '../../../src/errors.js';
import { launchChromium, openPage } from '../../e2e/support/browser.js';
import { TestClient } from '../../support/client.js';
import { openTestPglite } from '../../support/pglite.js';

/**
 * The OpenAPI document (/docs/json) is generated from the routes: every route Fastify registers is in
 * it with its method, nothing in it is made up, every error code of errors.ts is documented, and the
 * browsable UI at /docs runs under its own (slightly relaxed) CSP while the rest keeps the strict one.
 */

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { tags?: string[]; summary?: string; responses?: Record<string, Answer> }>>;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }>; responses: Record<string, Answer> };
};
type Answer = { $ref?: string; content?: Record<string, { schema?: { $ref?: string } }> };

/** Routes that are not part of the API: the UI's own pages and assets (and the web app's files). */
const notApi = (url: string) => url === '/docs' || url.startsWith('/docs/');

describe('OpenAPI document', () => {
  let app: FastifyInstance;
  let url: string;
  const registered: { method: string; url: string; documented: boolean; route: RouteOptions }[] = [];
  let doc: Doc;

  before(async () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', COOKIE_SECURE: 'false' });
    const deps = createDeps(config, await openTestPglite());
    app = await buildApp(deps, {
      onRoute: (route: RouteOptions) => {
        for (const method of [route.method].flat()) {
          if (method !== 'HEAD') registered.push({ method, url: route.url, documented: route.config?.operation !== undefined, route });
        }
      },
    });
    app.addHook('onClose', () => closeDeps(deps));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
    const res = await new TestClient(url, { secureCookie: false }).get('/docs/json');
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(() => app.close());

  /** `schema` with every `$ref` to a component replaced by the component (a sibling description kept). */
  const resolved = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(resolved);
    if (!schema || typeof schema !== 'object') return schema;
    const { $ref, ...rest } = schema as { $ref?: string };
    if ($ref === undefined) return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, resolved(value)]));
    const component = doc.components.schemas[$ref.replace('#/components/schemas/', '')];
    assert.ok(component, `${$ref} is in the components`);
    return { ...(resolved(component) as object), ...rest };
  };
  /** An operation's answer, or the shared one it references (components.responses). */
  const answerOf = (answer: Answer | undefined): Answer | undefined => {
    if (answer?.$ref === undefined) return answer;
    const shared = doc.components.responses[answer.$ref.replace('#/components/responses/', '')];
    assert.ok(shared, `${answer.$ref} is in the components`);
    return shared;
  };
  const constAsEnum = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema), (_key, value: unknown) =>
      value && typeof value === 'object' && 'const' in value
        ? (({ const: c, ...rest }) => ({ ...rest, enum: [c] }))(value as { const: unknown })
        : value,
    );

  const openapiPath = (fastifyUrl: string) => fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

  test('every registered route is documented, and nothing else is', () => {
    const api = registered.filter((r) => !notApi(r.url));
    assert.ok(api.length >= 29, `routes seen: ${api.length}`);
    for (const r of api) {
      const op = doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.url} is missing from the OpenAPI document`);
      assert.ok(r.documented, `${r.method} ${r.url} declares no config.operation (src/http/operation.ts)`);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const real = new Set(api.map((r) => `${r.method} ${openapiPath(r.url)}`));
    for (const d of documented) assert.ok(real.has(d), `${d} is documented but not a route`);
    assert.equal(documented.length, real.size);
  });

  test('every operation has a tag, a summary, a success answer and problem answers', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.equal(op.tags?.length, 1, where);
        assert.ok(op.summary && op.summary.length > 5, where);
        const statuses = Object.keys(op.responses ?? {});
        assert.ok(
          statuses.some((s) => /^2\d\d$/.test(s)),
          `${where}: no success answer`,
        );
        for (const s of ['500', '503']) {
          assert.equal(
            answerOf(op.responses?.[s])?.content?.['application/problem+json']?.schema?.$ref,
            '#/components/schemas/Problem',
            `${where} ${s}`,
          );
        }
        if (path.startsWith('/api/')) assert.ok(statuses.includes('400'), `${where}: 400 validation`);
      }
    }
    // Request shapes come from the validation schemas: a required field of a route schema shows up.
    const login = doc.paths['/api/auth/login']?.post as unknown as {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    };
    assert.deepEqual(login.requestBody.content['application/json']?.schema.required, ['username', 'password']);
    assert.match(doc.openapi, /^3\.1/);
  });

  test("every JSON success answer is the route's own response schema (the one that serializes it)", () => {
    let checked = 0;
    for (const { method, url: routeUrl, route } of registered.filter((r) => !notApi(r.url) && r.documented)) {
      const ok = route.config?.operation?.ok;
      assert.ok(ok);
      const where = `${method} ${routeUrl} ${ok.status}`;
      const answer = doc.paths[openapiPath(routeUrl)]?.[method.toLowerCase()]?.responses?.[String(ok.status)];
      if (ok.contentType || ok.status === 204) {
        assert.equal(answer?.content?.['application/json'], undefined, `${where}: not a JSON answer`);
        continue;
      }
      const declared = (route.schema?.response as Record<string, unknown> | undefined)?.[String(ok.status)];
      assert.ok(declared, `${where}: a JSON answer needs a response schema in the route's options`);
      // The document shows exactly the schema the serializer was compiled from, once its references to
      // components are resolved (JSON-equal, but for @fastify/swagger writing `const: x` as `enum: [x]`).
      const documented = resolved(answer?.content?.['application/json']?.schema);
      assert.deepEqual(constAsEnum(documented), constAsEnum(declared), where);
      checked++;
    }
    assert.ok(checked >= 20, `JSON answers checked: ${checked}`);
    // Readiness answers 503 with its own body (which check is down) as well as a problem.
    const ready = doc.paths['/readyz']?.get?.responses?.['503']?.content ?? {};
    assert.deepEqual(Object.keys(ready).sort(), ['application/json', 'application/problem+json']);
  });

  test('the shared shapes are written once, as components, and referenced from every answer', () => {
    const answers = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.responses));
    // An Item field only in the Item component (and in request bodies), never inlined in an answer.
    const inlined = JSON.stringify(answers).split('"lowStockThreshold"').length - 1;
    assert.equal(inlined, 0, 'answers that inline the Item instead of referencing it');
    const one = doc.paths['/api/items/{id}']?.get?.responses?.['200']?.content?.['application/json']?.schema as {
      properties?: Record<string, unknown>;
    };
    assert.deepEqual(one?.properties?.item, { $ref: '#/components/schemas/Item' });
    // The failure answers, the same everywhere, are written once too.
    assert.deepEqual(doc.paths['/api/items/{id}']?.get?.responses?.['404'], { $ref: '#/components/responses/NotFound' });
    // Components reference each other too; a copy with its own description keeps it beside the reference.
    const signedIn = doc.components.schemas.SignedIn as { properties?: Record<string, unknown> };
    assert.deepEqual(signedIn.properties?.user, { $ref: '#/components/schemas/User' });
    assert.deepEqual(signedIn.properties?.session, { $ref: '#/components/schemas/Session' });
    const current = doc.components.schemas.Problem?.properties?.current as { $ref?: string; description?: string };
    assert.equal(current.$ref, '#/components/schemas/Item');
    assert.match(current.description ?? '', /stale/);
  });

  test('every error code of the catalogue is documented, with its status', () => {
    const problem = doc.components.schemas.Problem;
    assert.ok(problem, 'Problem schema');
    const code = problem.properties?.code as { enum?: string[]; description?: string };
    assert.deepEqual([...(code.enum ?? [])].sort(), Object.keys(ERROR_CODES).sort());
    for (const [name, e] of Object.entries(ERROR_CODES)) {
      assert.ok(code.description?.includes(`\`${name}\` (${e.status})`), `${name} described with its status`);
    }
  });

  test('every problem type URI names a section of /docs/problems', async () => {
    const c = new TestClient(url, { secureCookie: false });
    const problem = await c.get('/api/nope');
    assert.equal(problem.body.type, '/docs/problems#not_found');
    const page = await c.get('/docs/problems');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.doesNotMatch(page.headers.get('content-security-policy') ?? '', /unsafe-inline/);
    for (const [code, e] of Object.entries(ERROR_CODES))
      assert.ok(page.text.includes(`id="${code}"><code>${code}</code> (${e.status})`), code);
  });

  test('/docs has its own CSP; every other page keeps the strict one', async () => {
    const c = new TestClient(url, { secureCookie: false });
    const ui = await c.get('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.text, /swagger-ui-bundle\.js/);
    const docsCsp = ui.headers.get('content-security-policy') ?? '';
    assert.match(docsCsp, /style-src 'self' 'unsafe-inline'/);
    assert.match(docsCsp, /script-src 'self'(;|$)/, 'no inline or foreign script even on /docs');
    assert.doesNotMatch(docsCsp, /unsafe-eval|https:|\*/);
    for (const path of ['/healthz', '/api/auth/session', '/metrics', '/nope', '/docsx']) {
      const csp = (await c.get(path)).headers.get('content-security-policy') ?? '';
      assert.match(csp, /style-src 'self';/, path);
      assert.doesNotMatch(csp, /unsafe-inline/, path);
    }
  });

  test('the UI renders every operation in Chromium with no CSP refusal or script error', async () => {
    const browser = await launchChromium();
    try {
      const { page, problems } = await openPage(browser, url);
      await page.goto('/docs');
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const shown = await page.locator('.opblock').count();
      const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      assert.equal(shown, operations);
      // Opening an operation renders its schemas (where the inline styles are).
      await page.locator('.opblock-summary').first().click();
      await page.waitForSelector('.responses-wrapper', { timeout: 10_000 });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
