#!/usr/bin/env node
/**
 * Regenerates src/auth/common-passwords.txt, the blocklist of common passwords that
 * src/auth/password-policy.ts refuses (S-37, ASVS V6.2.4).
 *
 * Source: the `passwords-common` dictionary of the dev dependency `@zxcvbn-ts/language-common`
 * (MIT, `src/passwords.json`: a JSON array of leaked passwords, most frequent first). The runtime never
 * loads the npm package: it reads the generated text file once.
 *
 * What is kept: every entry NFKC-normalised and lower-cased (the policy compares the same way),
 * deduplicated, in the source's frequency order, and only entries of at least MIN_LENGTH code points:
 * anything shorter is already refused by the length rule, so it would only cost memory.
 * Lines starting with '#' are comments (the licence notice travels with the data); an entry that itself
 * started with '#' would be unreadable, so the script stops if one would be kept.
 *
 * Usage:  node scripts/build-common-passwords.mjs          (writes the file)
 *         node scripts/build-common-passwords.mjs --check  (exit 1 if the committed file is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@zxcvbn-ts/language-common';
/** The smallest minimum length the policy allows (docs/api.md: 8). */
const MIN_LENGTH = 8;
const OUT = fileURLToPath(new URL('../src/auth/common-passwords.txt', import.meta.url));

const require = createRequire(import.meta.url);
const pkgJsonPath = require.resolve(`${PACKAGE}/package.json`);
const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
const source = JSON.parse(readFileSync(new URL('./src/passwords.json', `file://${pkgJsonPath}`), 'utf8'));
const licence = readFileSync(new URL('./LICENSE.txt', `file://${pkgJsonPath}`), 'utf8');

if (!Array.isArray(source) || source.some((p) => typeof p !== 'string')) {
  throw new Error(`${PACKAGE}: src/passwords.json is not an array of strings; has its format changed?`);
}

const seen = new Set();
const kept = [];
for (const raw of source) {
  const entry = raw.normalize('NFKC').toLowerCase();
  if ([...entry].length < MIN_LENGTH || seen.has(entry)) continue;
  if (entry.startsWith('#') || /[\r\n]/.test(entry) || entry !== entry.trim()) {
    throw new Error(`entry ${JSON.stringify(entry)} cannot be stored one per line; handle it explicitly`);
  }
  seen.add(entry);
  kept.push(entry);
}

const header = [
  'Common passwords refused by src/auth/password-policy.ts. Generated: do not edit by hand.',
  `Made by scripts/build-common-passwords.mjs from ${PACKAGE}@${pkg.version} src/passwords.json:`,
  `NFKC, lower-cased, deduplicated, entries of at least ${MIN_LENGTH} code points, most frequent first.`,
  `${kept.length} entries follow the comments. Lines starting with '#' are comments.`,
  '',
  `Licence of the source data (${pkg.license}):`,
  ...licence.trimEnd().split('\n'),
].map((line) => (line ? `# ${line}` : '#'));

const text = `${[...header, ...kept].join('\n')}\n`;

if (process.argv.includes('--check')) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== text) {
    console.error(`${OUT} is stale: run node scripts/build-common-passwords.mjs`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date (${kept.length} entries).`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${kept.length} entries to ${OUT}`);
}
