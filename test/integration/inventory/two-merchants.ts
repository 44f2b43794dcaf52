import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import type { Backend } from './fixtures.js';

/** A server and two merchants on it, each signed up (so each the owner of a shop of their own). */
export interface TwoMerchants {
  server: TestServer;
  /** The merchant the tests act as. */
  a: TestClient;
  /** The other tenant: whatever `a` does, `b` must neither see it nor be able to touch it. */
  b: TestClient;
}

/**
 * The setup the inventory HTTP tests share: a real server on `backend` (loopback HTTP) and two signed-up
 * merchants. Use it from a describe's `before`, and close the server in its `after`:
 *
 *   before(async () => ({ server, a, b } = await twoMerchants(backend)));
 *   after(() => server?.close());
 *
 * A sign-up that fails closes the server before rethrowing: `after` never sees a half-made setup, so the
 * run reports the sign-up's error rather than a leaked server.
 */
export async function twoMerchants(backend: Backend): Promise<TwoMerchants> {
  const server = await startTestServer({ database: backend });
  try {
    const a = new TestClient(server.url);
    const b = new TestClient(server.url);
    await a.register();
    await b.register();
    return { server, a, b };
  } catch (err) {
    await server.close();
    throw err;
  }
}
