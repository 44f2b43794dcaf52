import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../support/ports.js';

/**
 * A TCP forwarder between one app instance and Redis, so a test can cut that instance off Redis while
 * Redis itself keeps running, keeps its data and keeps serving the other instances: a network partition,
 * which killing Redis cannot imitate. `cut` resets every connection and refuses new ones (a partition
 * the client hears about); `freeze` silently stops forwarding bytes on open connections (a partition it
 * does not hear about: only timeouts and heartbeats can tell); `heal` lets new connections through.
 */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  cut(): void;
  freeze(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  const pairs: [Socket, Socket][] = [];
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: targetHost });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
      pairs.length = 0;
    },
    freeze() {
      for (const [a, b] of pairs.splice(0)) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    heal() {
      cut = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
