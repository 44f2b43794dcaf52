import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../../support/client.js';
import { freePort } from '../../support/ports.js';
import { registerTempDir, removeTempDir } from '../../support/processes.js';

/*
 * `npm start` as an operator runs it: scripts/start.mjs over the compiled dist/ (issue 11 item 13).
 * - A SIGTERM to the start script (what a container runtime or a service manager sends) must reach the
 *   server: it used to run the server with spawnSync, so the script died and the server kept the port.
 * - The CSV import's worker must load from dist/ (csv-worker.js next to the compiled code), not only
 *   from the TypeScript sources the other tests run.
 *
 * The build is made (npm run build) only when dist/ is missing or older than src/, as start.mjs itself
 * does; the script then runs in a scratch directory whose dist/ is a link to this checkout's, so it
 * neither rebuilds nor builds the web app (no web/ there) and its data stays in the scratch directory.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function ensureBuilt(): void {
  const main = join(ROOT, 'dist/src/main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, 'src'))) return;
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of `pid`'s children (the server under the start script). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

describe('npm start (scripts/start.mjs over dist/)', { timeout: 300_000 }, () => {
  let dir: string;
  let script: ChildProcess | undefined;
  let serverPid: number | undefined;
  let url: string;
  let output = '';

  before(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'stockade-start-'));
    registerTempDir(dir);
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    script = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], {
      cwd: dir,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        REDIS_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    script.stdout?.on('data', (d) => (output += d));
    script.stderr?.on('data', (d) => (output += d));
    const deadline = Date.now() + 120_000;
    while (!(await healthy(url))) {
      assert.ok(script.exitCode === null && Date.now() < deadline, `the server did not come up:\n${output}`);
      await sleep(100);
    }
    serverPid = childrenOf(script.pid as number)[0];
    assert.ok(serverPid, 'no server process under the start script');
  });

  after(() => {
    // Whatever happened, nothing this test started outlives it.
    if (script?.exitCode === null) script.kill('SIGKILL');
    if (serverPid !== undefined && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    removeTempDir(dir);
  });

  test('the compiled server imports a CSV (the worker loads from dist/)', async () => {
    const client = new TestClient(url);
    await client.register();
    const res = await client.request('POST', '/api/items/import', {
      raw: 'sku,name,quantity\nBUILT-1,From dist,4\n',
      contentType: 'text/csv',
    });
    assert.equal(res.status, 200, `${res.text}\n${output}`);
    assert.deepEqual([res.body.created, res.body.updated], [1, 0]);
    const bad = await client.request('POST', '/api/items/import', { raw: 'sku,name,quantity\nBUILT-2,,x\n', contentType: 'text/csv' });
    assert.equal(bad.status, 422, bad.text);
  });

  test('SIGTERM to the start script stops the server and frees the port', async () => {
    const proc = script as ChildProcess;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    proc.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while ((alive(serverPid as number) || (await healthy(url))) && Date.now() < deadline) await sleep(100);
    assert.equal(alive(serverPid as number), false, `the server (pid ${serverPid}) is still running after SIGTERM to the start script`);
    assert.equal(await healthy(url), false, 'the port still answers');
    const { code, signal } = await exited;
    // The server drains and exits 0 on SIGTERM; the script exits as it did.
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, output);
  });
});
