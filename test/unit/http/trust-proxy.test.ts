import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { parseTrustProxy, trustProxyOption } from '../../../src/lib/trust-proxy.js';

/**
 * trustProxyOption (S-75) as Fastify applies it, over real loopback HTTP: the client address is the right-most
 * X-Forwarded-For entry that is not a trusted proxy, and X-Forwarded-Proto/-Host count only when the
 * socket peer is a trusted proxy. A peer outside an address list is the client, whatever it claims.
 */
async function serve(trust: string, host = '127.0.0.1'): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ trustProxy: trustProxyOption(parseTrustProxy(trust)) });
  app.get('/who', async (request) => ({ ip: request.ip, protocol: request.protocol, host: request.host }));
  await app.listen({ host, port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const agents: Agent[] = [];
async function who(url: string, from: string, headers: Record<string, string>) {
  // localAddress is an Agent option in undici 6 (inside `connect` it is silently ignored).
  const dispatcher = new Agent({ localAddress: from });
  agents.push(dispatcher);
  const res = await undiciFetch(`${url}/who`, { headers, dispatcher });
  return (await res.json()) as { ip: string; protocol: string; host: string };
}

const FORWARDED = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'forged.example' };

describe('trusted proxies over HTTP', () => {
  let hops: { app: FastifyInstance; url: string };
  let list: { app: FastifyInstance; url: string };
  before(async () => {
    hops = await serve('1');
    list = await serve('127.0.0.1');
  });
  after(async () => {
    await hops?.app.close();
    await list?.app.close();
    await Promise.all(agents.map((a) => a.close()));
  });

  test('one hop: the right-most entry is the client, the left-most (client-written) one is ignored', async () => {
    assert.deepEqual(await who(hops.url, '127.0.0.1', FORWARDED), { ip: '203.0.113.7', protocol: 'https', host: 'forged.example' });
    assert.equal((await who(hops.url, '127.0.0.1', {})).ip, '127.0.0.1', 'no header: the peer is the client');
  });

  test('two hops: one more entry from the right', async () => {
    const two = await serve('2');
    try {
      assert.equal((await who(two.url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.0.0.2' })).ip, '203.0.113.7');
    } finally {
      await two.app.close();
    }
  });

  test('address list: headers count only from a listed peer', async () => {
    assert.deepEqual(await who(list.url, '127.0.0.1', FORWARDED), { ip: '203.0.113.7', protocol: 'https', host: 'forged.example' });
    assert.deepEqual(await who(list.url, '127.0.0.9', FORWARDED), { ip: '127.0.0.9', protocol: 'http', host: new URL(list.url).host });
  });

  test('address list: the right-most untrusted entry, however many trusted ones follow it', async () => {
    const chain = await serve('127.0.0.1,10.0.0.0/8');
    try {
      const res = await who(chain.url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.9.8.7, 10.0.0.2' });
      assert.equal(res.ip, '203.0.113.7');
    } finally {
      await chain.app.close();
    }
  });

  test('a dual-stack listener (HOST=::) sees IPv4 peers as ::ffff:a.b.c.d: an IPv4 list still matches them', async () => {
    const dual = await serve('127.0.0.1', '::');
    try {
      assert.equal((await who(dual.url, '127.0.0.1', FORWARDED)).ip, '203.0.113.7', 'the proxy at ::ffff:127.0.0.1 is trusted');
      assert.equal((await who(dual.url, '127.0.0.9', FORWARDED)).ip, '::ffff:127.0.0.9', 'another peer is the client');
    } finally {
      await dual.app.close();
    }
  });
});
