import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * One typed source for the HTTP contract (issue 12, docs/architecture.md "One source for the HTTP
 * contract"): request schemas are TypeBox, in src/http/schemas/requests/, and handlers see their types
 * through the TypeBox type provider, never through hand-written route generics or casts; the item's shape
 * is declared by the domain (src/inventory/types.ts) and only generated for the web
 * (web/src/api/schema.gen.ts). What this guards against is a new route written the old way: a JSON schema
 * `as const` next to a `<{ Body: … }>` that nothing checks against it.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('contract sources', () => {
  test('route modules declare no request schema or type by hand, and are typed through the TypeBox provider', () => {
    const routes = sources('src/http/routes');
    assert.ok(routes.length >= 7, `route modules: ${routes.length}`);
    for (const file of routes) {
      const text = readFileSync(join(root, file), 'utf8');
      assert.doesNotMatch(
        text,
        /type: '(object|string|integer|boolean|array)'/,
        `${file}: an inline JSON schema (use src/http/schemas/requests/)`,
      );
      assert.doesNotMatch(text, /\b(get|post|put|patch|delete)<\{ *(Body|Params|Querystring)\b/, `${file}: a hand-written route generic`);
      assert.doesNotMatch(text, /request\.(body|params|query) as /, `${file}: a cast of the request`);
      assert.match(text, /FastifyPluginAsyncTypebox/, `${file}: a route plugin typed through the TypeBox provider`);
    }
  });

  test("no HTTP module and no hand-written web API type names an item's fields: they come from ItemSchema", () => {
    const files = [...sources('src/http'), ...sources('web/src/api').filter((f) => !f.endsWith('schema.gen.ts'))];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      assert.doesNotMatch(text, /\b(priceCents|costCents|lowStockThreshold)\b/, `${file} declares item fields again`);
    }
  });
});
