import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TestClient } from './client.js';

/**
 * A client of GET /api/events over a raw HTTP request (not fetch: we want to see the stream end, the
 * headers at once, and every byte as it comes), parsing Server-Sent Events as a browser would.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
  /** When it arrived (performance.now()). */
  readonly at: number;
}

export interface EventStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** Events so far (comment lines are not events). */
  readonly events: SseEvent[];
  /** Heartbeat comments seen so far (": …" lines, the opening one included). */
  readonly comments: number;
  /** The body as text, for a refused stream (problem JSON). */
  readonly text: string;
  /** Resolves when the server ends the stream (or the connection drops). */
  readonly ended: Promise<void>;
  readonly isEnded: boolean;
  /** Resolves with the first event named `name` (waiting for it), or rejects after timeoutMs. */
  next(name: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/**
 * Opens the stream with the client's cookie; resolves once the response headers (and first bytes) are
 * in. HTTPS (the HAProxy frontend, test/support/haproxy.ts) with its throwaway loopback certificate.
 */
export function openEventStream(client: TestClient, opts: { url?: string; headers?: Record<string, string> } = {}): Promise<EventStream> {
  const url = new URL('/api/events', opts.url ?? client.baseUrl);
  const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
  if (client.token) headers.cookie = `${client.cookieName}=${client.token}`;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // The HAProxy frontend's certificate is a throwaway one for 127.0.0.1 (test/support/haproxy.ts).
    const req = send(url, { method: 'GET', headers, ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}) }, (res) => {
      const events: SseEvent[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      let text = '';
      let comments = 0;
      let isEnded = false;
      const wake = () => {
        for (const w of waiters.splice(0)) w();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let i = buffer.indexOf('\n\n');
        while (i >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments++;
            else if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event: name, data: JSON.parse(data.join('\n')), at: performance.now() });
          i = buffer.indexOf('\n\n');
        }
        wake();
      });
      const ended = new Promise<void>((done) => {
        const finish = () => {
          isEnded = true;
          wake();
          done();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        get comments() {
          return comments;
        },
        get text() {
          return text;
        },
        ended,
        get isEnded() {
          return isEnded;
        },
        async next(name, timeoutMs = 10_000) {
          const deadline = performance.now() + timeoutMs;
          for (;;) {
            const found = events.find((e) => e.event === name);
            if (found) return found;
            if (isEnded) throw new Error(`stream ended without ${name} (events: ${JSON.stringify(events)})`);
            const left = deadline - performance.now();
            if (left <= 0) throw new Error(`no ${name} within ${timeoutMs} ms (events: ${JSON.stringify(events)})`);
            await new Promise<void>((w) => {
              const t = setTimeout(w, left);
              waiters.push(() => {
                clearTimeout(t);
                w();
              });
            });
          }
        },
        close() {
          req.destroy();
        },
      };
      // A stream: resolve once its first bytes (the opening comment) are in; anything else: at its end.
      if (res.statusCode === 200) res.once('data', () => resolve(stream));
      else void ended.then(() => resolve(stream));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `condition` every 20 ms until it holds, or fails after timeoutMs naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
