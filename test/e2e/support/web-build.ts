import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as viteVersion } from 'vite';

const WEB = fileURLToPath(new URL('../../../web/', import.meta.url));
const INPUTS = ['index.html', 'vite.config.ts', 'src', 'public'];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  const entries = readdirSync(path, { withFileTypes: true });
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : [join(path, e.name)]));
}

/** A digest of everything the build reads, so a build is reused exactly while its sources are unchanged. */
function sourceDigest(): string {
  const hash = createHash('sha256').update(viteVersion);
  for (const input of INPUTS) {
    const path = join(WEB, input);
    const files = existsSync(path) && !input.includes('.') ? filesUnder(path).sort() : [path];
    for (const file of files) hash.update(relative(WEB, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Builds of older sources, left by earlier runs: removed once they are an hour old (none is in use). */
async function pruneOldBuilds(keep: string): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('stockade-web-') || join(tmpdir(), name) === keep) continue;
    const path = join(tmpdir(), name);
    try {
      if (statSync(path).mtimeMs < hourAgo) await rm(path, { recursive: true, force: true });
    } catch {
      // Gone already (another test process pruned it).
    }
  }
}

let built: Promise<string> | undefined;

/**
 * Builds web/ with its own Vite config, so the browser tests always run the current source (never a
 * stale web/dist). The output goes to the OS temp dir under a digest of the sources: test files running
 * in parallel processes build once between them (a finished build is renamed into place atomically; a
 * process that loses that race uses the winner's identical output).
 */
export function buildWebOnce(): Promise<string> {
  built ??= (async () => {
    const target = join(tmpdir(), `stockade-web-${sourceDigest()}`);
    await pruneOldBuilds(target);
    if (existsSync(join(target, 'index.html'))) return target;
    const staging = await mkdtemp(`${target}.building-`);
    await build({
      root: WEB,
      configFile: join(WEB, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: staging, emptyOutDir: true },
    });
    try {
      await rename(staging, target);
    } catch {
      // Another process renamed its build into place first: same sources, same output.
      await rm(staging, { recursive: true, force: true });
    }
    return target;
  })();
  return built;
}
