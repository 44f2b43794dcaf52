import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// docs/security.md ends with a table of the files citing each requirement; a stale table would send a
// reader to the wrong place, so the committed one must be what the generator makes from today's tree.
test('docs/security.md index is current (npm run docs:security regenerates it)', () => {
  const run = spawnSync(process.execPath, ['scripts/security-index.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});
