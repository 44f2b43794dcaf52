import { freePort } from '../../support/ports.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { buildWebOnce } from './web-build.js';

/**
 * A real Stockade server serving the freshly built web app over plain HTTP on loopback, with the
 * production cookie settings: Chromium treats http://127.0.0.1 as a secure context and stores a Secure
 * `__Host-` cookie from it, so the browser tests see exactly the cookie an HTTPS deployment sets. (A
 * test that wants the plain-HTTP deployment mode passes COOKIE_SECURE=false: the cookie is then `sid`
 * without Secure.) ALLOWED_ORIGINS is the server's own origin, as in a real deployment, so the
 * browser's Origin check is exercised for real.
 */
export async function startWebServer(env: Record<string, string> = {}, opts: { logLines?: string[] } = {}): Promise<TestServer> {
  const webRoot = await buildWebOnce();
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await startTestServer({
        webRoot,
        ...(opts.logLines ? { logLines: opts.logLines } : {}),
        env: {
          PORT: String(port),
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
