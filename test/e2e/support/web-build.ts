import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const WEB = fileURLToPath(new URL('../../../web/', import.meta.url));

let built: Promise<string> | undefined;

/**
 * Builds web/ with its own Vite config into a temporary directory, once per test process, so the
 * browser tests always run the current source (never a stale web/dist) and two test files building
 * at once do not write over each other.
 */
export function buildWebOnce(): Promise<string> {
  built ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'stockade-web-'));
    await build({
      root: WEB,
      configFile: join(WEB, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    process.once('exit', () => {
      // Best effort: the directory is in the OS temp dir anyway.
      void rm(outDir, { recursive: true, force: true });
    });
    return outDir;
  })();
  return built;
}
