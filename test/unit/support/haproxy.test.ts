import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Haproxy, haproxyConfig, startHaproxy } from '../../support/haproxy.js';

const servers: Server[] = [];

function backend(name: string): Promise<{ host: string; port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.end(name));
    servers.push(server);
    server.listen(0, '127.0.0.1', () =>
      resolve({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, server }),
    );
  });
}

let proxy: Haproxy;
let b: { host: string; port: number; server: Server };
before(async () => {
  const a = await backend('A');
  b = await backend('B');
  proxy = await startHaproxy([a, b]);
});
after(async () => {
  await proxy?.stop();
  for (const s of servers) s.close();
});

test('round-robin over the backends, no stickiness', async () => {
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) seen.push(await (await fetch(`${proxy.url}/healthz`)).text());
  assert.deepEqual([...seen].sort(), ['A', 'A', 'A', 'B', 'B', 'B']);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1]);
});

test('a dead backend is taken out of rotation', async () => {
  b.server.closeAllConnections();
  await new Promise((r) => b.server.close(r));
  await sleep(1500); // fall 2 × inter 500 ms
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${proxy.url}/`);
    assert.equal(res.status, 200);
    seen.add(await res.text());
  }
  assert.deepEqual([...seen], ['A']);
});

test('config is HTTP round-robin with health checks', () => {
  const cfg = haproxyConfig(1234, [{ host: '127.0.0.1', port: 1 }], { healthPath: '/readyz' });
  assert.match(cfg, /mode http/);
  assert.match(cfg, /balance roundrobin/);
  assert.match(cfg, /option httpchk GET \/readyz/);
  assert.doesNotMatch(cfg, /cookie|stick/);
});
