import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ports for throwaway servers. They are drawn at random from 15000–29999, below Linux's ephemeral range
 * (32768+), so an outgoing connection of some other process cannot be sitting on a port we later
 * restart a paused server on, and port + 10000 (a Redis cluster bus) stays below it too.
 * A port found free can still be taken before our server binds it (another test process picks the
 * same one): callers retry the start with a new port when the server says it could not bind.
 */
const LOW = 15000;
const HIGH = 29999;

/** Ports handed out by this process, never handed out twice. */
const given = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A loopback port nobody listens on now. `also` are offsets that must be free too
 * (a Redis cluster node needs port + 10000 for its bus).
 */
export async function freePort(also: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (given.has(port)) continue;
    let ok = await canListen(port);
    for (const off of also) ok = ok && (await canListen(port + off));
    if (ok) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port found in ${LOW}..${HIGH} after 200 tries`);
}

/** Resolves once something accepts TCP connections on host:port; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 15000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ port, host });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}
