import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { Db } from '../../src/db/db.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { openPglite, PGLITE_EXTENSIONS } from '../../src/db/pglite.js';

/**
 * Fresh, fully migrated in-memory PGlite databases, fast.
 *
 * Creating a PGlite runs initdb (~3–4 s here); loading a data directory dumped by dumpDataDir() takes
 * ~0.4 s. So the first caller builds a migrated template once, dumps it to `.tmp/`, and every database
 * after that, in this process or the next run, is loaded from the dump. The file name carries a hash of
 * the migration files and of the PGlite version, so a new or edited migration (or a PGlite upgrade)
 * builds a new template instead of handing out a stale schema.
 *
 * Concurrent test processes may both build it; each writes its own temp file and renames it into place,
 * and rename is atomic, so a reader sees either no file or a whole one, never a half-written tarball.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_DIR = join(ROOT, '.tmp');
const PREFIX = 'pglite-template-';

function pgliteVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** The cache key: what the template's contents depend on. */
export function templateKey(): string {
  const h = createHash('sha256');
  h.update(`pglite ${pgliteVersion()}\n`);
  for (const m of loadMigrations()) h.update(`${m.name}\n${m.sql}\n`);
  return h.digest('hex').slice(0, 16);
}

export function templatePath(key = templateKey()): string {
  return join(CACHE_DIR, `${PREFIX}${key}.tar`);
}

async function buildTemplate(file: string): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  // Migrate through the real openPglite + migrate path, on disk, then reopen it raw to dump it
  // (the Db interface deliberately does not expose the PGlite instance).
  const work = mkdtempSync(join(CACHE_DIR, 'pglite-build-'));
  try {
    const db = await openPglite(work);
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const raw = await PGlite.create(work, { extensions: PGLITE_EXTENSIONS });
    let tarball: Blob;
    try {
      // Uncompressed: 10× larger than gzip (~40 MB) but it loads faster, and loading is what repeats.
      tarball = await raw.dumpDataDir('none');
    } finally {
      await raw.close();
    }
    const tmp = `${file}.${process.pid}-${Date.now()}.partial`;
    writeFileSync(tmp, Buffer.from(await tarball.arrayBuffer()));
    renameSync(tmp, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Templates of older migrations are dead weight (40 MB each).
  for (const f of readdirSync(CACHE_DIR)) {
    if (f.startsWith(PREFIX) && join(CACHE_DIR, f) !== file && f.endsWith('.tar')) {
      rmSync(join(CACHE_DIR, f), { force: true });
    }
  }
}

/** Builds the template file if it is missing; resolves with its path. (The test runner warms it once.) */
export async function ensurePgliteTemplate(): Promise<string> {
  const file = templatePath();
  if (!existsSync(file)) await buildTemplate(file);
  return file;
}

let template: Promise<Blob> | undefined;

/**
 * The migrated template as a Blob, built on first use. Resolves to the same Blob for the whole process
 * (PGlite only reads it).
 */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = await ensurePgliteTemplate();
    return new Blob([readFileSync(file)]);
  })();
  // A failed build must not poison every later call in this process.
  template.catch(() => {
    template = undefined;
  });
  return template;
}

/** A fresh in-memory PGlite with every migration applied. Close it when done. */
export async function openTestPglite(): Promise<Db> {
  return openPglite(undefined, { loadDataDir: await pgliteTemplate() });
}
