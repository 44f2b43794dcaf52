import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `stockade` on the command line, spawned as an operator would run it (tsx instead of the build). Each
 * spawn costs a Node start plus tsx (seconds on a busy machine), so the CLI tests are split over three
 * files, each within the runner's per-file time limit.
 */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** tsx's loader by absolute URL, so the CLI can also run from a directory outside the checkout. */
const TSX = import.meta.resolve('tsx');

export function stockade(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // A clean environment: nothing leaks in from the test runner's own configuration.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env };
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli.ts'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
