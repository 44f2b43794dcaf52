import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The procedures of docs/operations.md, read from the guide itself so that the tested commands are the
 * documented ones: a fenced block preceded by `<!-- procedure: NAME -->` is procedure NAME. A test that
 * edited its own copy of a command would keep passing while the guide drifted.
 */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function documentedProcedure(name: string, file = join(ROOT, 'docs/operations.md')): string {
  const text = readFileSync(file, 'utf8');
  const marker = `<!-- procedure: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no "${marker}"`);
  // The block may sit indented in a list item: its fence's indent is taken off every line.
  const block = /^([ \t]*)```[a-z]*\n([\s\S]*?)\n\1```/m.exec(text.slice(at + marker.length));
  if (!block?.[2]) throw new Error(`${file}: no fenced block after "${marker}"`);
  const indent = block[1] ?? '';
  return block[2]
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a documented shell block with bash (errexit, as an operator's script would), from the checkout. */
export function runShell(script: string, env: Record<string, string>, cwd = ROOT): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
