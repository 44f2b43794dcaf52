import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import semver from 'semver';

/**
 * `engines.node` is a promise to operators: the oldest Node it names must run every package we ship.
 * npm only warns (EBADENGINE) when a dependency wants a newer Node, and the warning scrolls past in an
 * install log; a dependency that moved to ESM-only or `>=22` would then fail at run time on the oldest
 * Node we claim. So the lock file is checked here: every production package's own `engines.node` must
 * admit the oldest version our range allows (`cookie@2` and `content-disposition@3` did not; they are
 * pinned through `overrides` to the API-identical CommonJS releases that support Node 20).
 */
const root = new URL('../../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } | string[] }>;
};

/** The packages that `npm ci --omit=dev` installs, with the Node range each declares. */
function productionEngines(packages: typeof lock.packages): Array<{ name: string; range: string }> {
  const out: Array<{ name: string; range: string }> = [];
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '' || entry.dev) continue;
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range) out.push({ name: `${path.replace(/^.*node_modules\//, '')}@${entry.version}`, range });
  }
  return out;
}

describe('supported Node versions', () => {
  const oldest = semver.minVersion(pkg.engines.node);

  test('engines.node names a lowest version, and this Node satisfies the range', () => {
    assert.ok(oldest, `engines.node "${pkg.engines.node}" has no lowest version`);
    assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), `Node ${process.versions.node} is outside ${pkg.engines.node}`);
  });

  test('every production dependency supports the oldest Node we claim', () => {
    assert.ok(oldest);
    const entries = productionEngines(lock.packages);
    assert.ok(entries.length > 10, 'the lock file lists production packages with engines');
    const refusing = entries.filter((e) => !semver.satisfies(oldest, e.range)).map((e) => `${e.name} wants node ${e.range}`);
    assert.deepEqual(refusing, [], `Node ${oldest.version} is in engines.node but these packages refuse it`);
  });
});
