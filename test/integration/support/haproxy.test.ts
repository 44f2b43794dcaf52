import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Haproxy, SHIPPED_CONFIG, startHaproxy } from '../../support/haproxy.js';

/**
 * The shipped deploy/haproxy.cfg, run as is (placeholders filled in) in front of three plain HTTP
 * backends that echo what they received: what HAProxy passes on (its own forwarding headers only, S-75),
 * and what it refuses by itself.
 */
const servers: Server[] = [];

function backend(name: string): Promise<{ host: string; port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
    });
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, server }));
  });
}

type Echo = { name: string; url: string; headers: IncomingHttpHeaders };

describe('deploy/haproxy.cfg in front of three backends', () => {
  let proxy: Haproxy;
  let c: { host: string; port: number; server: Server };
  before(async () => {
    const a = await backend('A');
    const b = await backend('B');
    c = await backend('C');
    proxy = await startHaproxy([a, b, c]);
  });
  after(async () => {
    await proxy?.stop();
    for (const s of servers) s.close();
  });

  test('HTTPS round-robin over the backends, no stickiness', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(((await (await fetch(`${proxy.url}/api/x`)).json()) as Echo).name);
    assert.deepEqual([...seen].sort(), ['A', 'A', 'B', 'B', 'C', 'C']);
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1]);
  });

  test('plain HTTP only redirects to HTTPS', async () => {
    const res = await fetch(`${proxy.redirectUrl}/api/items?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.match(res.headers.get('location') ?? '', /^https:\/\/127\.0\.0\.1:\d+\/api\/items\?x=1$/);
  });

  test("the client's forwarding headers are replaced by the proxy's own", async () => {
    const res = await fetch(`${proxy.url}/api/x`, {
      headers: {
        'x-forwarded-for': '198.51.100.7',
        forwarded: 'for=198.51.100.7;proto=https',
        'x-forwarded-proto': 'gopher',
        'x-forwarded-host': 'evil.example',
        'x-real-ip': '198.51.100.7',
      },
    });
    const { headers } = (await res.json()) as Echo;
    assert.equal(headers['x-forwarded-for'], '127.0.0.1', 'only the address HAProxy saw');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers.forwarded, undefined);
    assert.equal(headers['x-forwarded-host'], undefined);
    assert.equal(headers['x-real-ip'], undefined);
  });

  test('/metrics and /docs are 403 on the public side, however the path is spelt', async () => {
    for (const path of ['/metrics', '/metrics?x=1', '/%6Detrics', '/METRICS', '/docs', '/docs/json', '/d%6Fcs/yaml', '/docs/problems']) {
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(await res.text(), /"name"/, `${path} did not reach a backend`);
    }
    assert.equal((await fetch(`${proxy.url}/api/docs-like`)).status, 200, 'other paths pass');
  });

  test('a backend that stops listening is not seen: its requests go to the others', async () => {
    c.server.closeAllConnections();
    await new Promise((r) => c.server.close(r));
    // Whether or not the health check has noticed yet: a refused connection is retried elsewhere.
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${proxy.url}/api/x`);
      assert.equal(res.status, 200);
      assert.notEqual(((await res.json()) as Echo).name, 'C');
    }
  });
});

test('the shipped file removes client headers before appending its own, and checks /readyz', () => {
  const cfg = readFileSync(SHIPPED_CONFIG, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const at = (directive: RegExp) => cfg.findIndex((l) => directive.test(l));
  const forwardfor = at(/^option forwardfor$/);
  assert.ok(forwardfor > 0);
  for (const header of ['X-Forwarded-For', 'Forwarded', 'X-Forwarded-Proto']) {
    const del = at(new RegExp(`^http-request del-header ${header}$`));
    assert.ok(del >= 0 && del < forwardfor, `${header} removed before option forwardfor`);
  }
  assert.ok(at(/^http-check send meth GET uri \/readyz /) > 0);
  assert.ok(at(/^option redispatch\b/) > 0 && at(/^retries \d+$/) > 0);
  assert.ok(at(/^bind "\$\{STOCKADE_PUBLIC_BIND\}" ssl crt "\$\{STOCKADE_TLS_CERT\}"/) > 0);
  assert.ok(
    cfg.every((l) => !/\b(cookie|stick)\b/.test(l)),
    'no stickiness',
  );
});
