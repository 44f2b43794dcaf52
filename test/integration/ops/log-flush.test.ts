import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess, waitForLog } from '../../fault/support/server-process.js';
import { TestClient } from '../../support/client.js';

/**
 * Log lines are written asynchronously (observability/logger.ts): held in a buffer while a write is in
 * flight. A process that ends must not take them with it. Real processes, real pipes and files: a
 * server stopped by SIGTERM right after answering, and a process that crashes with thousands of lines
 * still unwritten.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/log-then-crash.ts', import.meta.url));

/** Runs the crash fixture with its standard output on a pipe (as under journald or docker). */
function crash(how: 'throw' | 'reject', lines: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, how, String(lines)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    // 'close', not 'exit': every byte of the pipe has been read.
    child.on('close', (code) => resolve({ code, out: Buffer.concat(chunks).toString('utf8') }));
  });
}

function parse(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('log lines survive the end of the process', () => {
  for (const how of ['throw', 'reject'] as const) {
    test(`a crash (${how}) writes every line logged before it, then the fatal line`, async () => {
      // ~1.5 MB of lines, far more than a pipe holds: most are still buffered when the crash comes.
      const n = 10_000;
      const { code, out } = await crash(how, n);
      assert.equal(code, 1);
      const lines = parse(out);
      const seqs = lines.filter((l) => l.msg === 'request completed').map((l) => l.seq);
      assert.equal(seqs.length, n, `${seqs.length} of ${n} lines written before the crash`);
      assert.deepEqual(
        seqs,
        Array.from({ length: n }, (_, i) => i),
        'in order, none twice',
      );
      const last = lines.at(-1);
      assert.equal(last?.level, 60, 'the fatal line comes last');
      assert.match(String(last?.msg), how === 'throw' ? /uncaught exception/ : /unhandled promise rejection/);
    });
  }

  describe('a server stopped by SIGTERM', () => {
    let server: ServerProcess;
    before(async () => {
      // The shipped defaults: request logs at info (COOKIE_SECURE on too; the test client sends the cookie itself).
      server = await startServerProcess({ env: { COOKIE_SECURE: 'true', LOG_LEVEL: 'info' } });
    });
    after(() => server.stop());

    test("a quiet server writes a request's line soon, without waiting for a full batch or the exit", async () => {
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      const id = res.headers.get('x-request-id');
      // Batches go out at 4 KiB or every 250 ms: one request's line is in the file well within 10 s.
      await waitForLog(server, (l) => l.msg === 'request completed' && l.requestId === id, 1, 10_000);
    });

    test('writes the access line of every request it answered, then its shutdown lines', async () => {
      const c = new TestClient(server.url);
      await c.register();
      const ids: string[] = [];
      // Many requests in flight, the SIGTERM as soon as the last answer is in.
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, () => fetch(`${server.url}/api/auth/session`, { headers: { cookie: `${c.cookieName}=${c.token}` } })),
        );
        for (const a of answers) {
          assert.equal(a.status, 200);
          ids.push(String(a.headers.get('x-request-id')));
          await a.arrayBuffer();
        }
      }
      server.signal('SIGTERM');
      assert.equal(await server.exited, 0);
      const lines = server.logLines();
      const completed = lines.filter((l) => l.msg === 'request completed');
      for (const id of ids) {
        const mine = completed.filter((l) => l.requestId === id);
        assert.equal(mine.length, 1, `request ${id}: ${mine.length} access lines`);
      }
      assert.ok(
        lines.some((l) => l.msg === 'shut down cleanly'),
        'the last line before exit is written',
      );
    });
  });

  test('a server writing to a pipe keeps the pipe blocking, whatever it loads, and writes every line', async (t) => {
    // Something the server loads reads process.stdout (ioredis → debug → supports-color), and Node then
    // makes a pipe on fd 1 non-blocking; the asynchronous destination's writes would fail with EAGAIN
    // whenever the reader is a moment behind and be retried only 100 ms later (observability/logger.ts).
    const piped = await startServerProcess({ env: { LOG_LEVEL: 'info' }, stdoutOnPipe: true });
    t.after(() => piped.stop());
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/${piped.pid}/fdinfo/1`, 'utf8'))?.[1];
    assert.ok(flags, 'fd 1 has flags');
    assert.equal(Number.parseInt(flags, 8) & constants.O_NONBLOCK, 0, `fd 1 is blocking (flags ${flags})`);

    // Many answers in flight, then SIGTERM: every access line leaves through the pipe, in one piece.
    const answers = await Promise.all(Array.from({ length: 200 }, () => fetch(`${piped.url}/healthz`)));
    const ids: string[] = [];
    for (const a of answers) {
      ids.push(String(a.headers.get('x-request-id')));
      await a.arrayBuffer();
    }
    piped.signal('SIGTERM');
    assert.equal(await piped.exited, 0);
    const lines = parse(piped.logText());
    const completed = new Set(lines.filter((l) => l.msg === 'request completed').map((l) => l.requestId));
    for (const id of ids) assert.ok(completed.has(id), `request ${id} has its access line`);
    assert.equal(lines.at(-1)?.msg, 'shut down cleanly');
  });
});
