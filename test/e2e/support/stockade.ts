import { freePort } from '../../support/ports.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { buildWebOnce } from './web-build.js';

/**
 * A real Stockade server serving the freshly built web app, over plain HTTP on loopback. That is why
 * COOKIE_SECURE=false: a Secure cookie is never stored from http:// (except on localhost in some
 * browsers), so the cookie is `sid` without Secure here, and `__Host-sid` with Secure in production.
 * ALLOWED_ORIGINS is the server's own origin, as in a real deployment, so the browser's Origin check
 * is exercised for real.
 */
export async function startWebServer(
  env: Record<string, string> = {},
  opts: { logLines?: string[] } = {},
): Promise<TestServer> {
  const webRoot = await buildWebOnce();
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await startTestServer({
        webRoot,
        ...(opts.logLines ? { logLines: opts.logLines } : {}),
        env: {
          PORT: String(port),
          COOKIE_SECURE: 'false',
          ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
          ...env,
        },
      });
    } catch (err) {
      // Another process may take the port between freePort() and listen(): try another.
      if (attempt < 3 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
  }
}
