import { createServer, type Server } from 'node:http';
import { freePort } from '../../support/ports.js';

/**
 * A page on another origin (another loopback port: same *site* as the app, since ports don't count
 * for sites, so SameSite=Lax does NOT keep the cookie off these requests; only the server's Origin /
 * Fetch-Metadata / token checks can refuse them). It tries three classic forgeries against `target`:
 * a no-cors "simple" fetch, a CORS JSON fetch (needs a preflight) and a plain form post.
 */
export interface EvilSite {
  url: string;
  close(): Promise<void>;
}

const page = (target: string) => `<!doctype html>
<html><head><title>Win a prize</title></head><body>
<h1>Totally unrelated site</h1>
<form id="forged" method="POST" action="${target}/api/auth/logout"><button>Claim</button></form>
<script>
  window.results = {};
  window.attack = async function () {
    try {
      await fetch(${JSON.stringify(target)} + '/api/sessions/revoke-others', {
        method: 'POST', mode: 'no-cors', credentials: 'include',
        headers: { 'Content-Type': 'text/plain' }, body: '{}',
      });
      window.results.simple = 'sent';
    } catch (e) { window.results.simple = 'error: ' + e.message; }
    try {
      const r = await fetch(${JSON.stringify(target)} + '/api/auth/logout', {
        method: 'POST', credentials: 'include',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guessed' }, body: '{}',
      });
      window.results.cors = 'status ' + r.status;
    } catch (e) { window.results.cors = 'blocked'; }
    return window.results;
  };
</script>
</body></html>`;

export async function startEvilSite(target: string): Promise<EvilSite> {
  const port = await freePort();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page(target));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
