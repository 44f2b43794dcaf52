import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { API_TYPES_FILE, generateApiTypes } from '../../../scripts/gen-api.js';

/**
 * The web app's API types (web/src/api/schema.gen.ts) are generated from the OpenAPI document, which is
 * generated from the routes: a route change without `npm run gen:api` leaves the web app compiling
 * against a contract the server no longer keeps. Regenerating must change nothing.
 */
test('web/src/api/schema.gen.ts is what npm run gen:api generates now', { timeout: 120_000 }, async () => {
  const committed = readFileSync(API_TYPES_FILE, 'utf8');
  const generated = await generateApiTypes();
  // Compared line by line first, so a failure names the first line that differs, not 3 000 lines.
  const a = committed.split('\n');
  const b = generated.split('\n');
  const first = b.findIndex((line, i) => line !== a[i]);
  assert.equal(
    first === -1 && a.length === b.length,
    true,
    `stale from line ${first + 1}: run npm run gen:api (now: ${JSON.stringify(b[first])})`,
  );
});
