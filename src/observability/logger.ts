import { type Logger, type LoggerOptions, pino } from 'pino';
import type { Config } from '../config.js';

/**
 * Fields that must never reach a log line, whatever a careless call includes. `req` and `res` are not
 * listed: they always pass through the serializers below, which keep named fields only (method, path,
 * address; status), so no header can be under them. Redaction paths under them matched nothing, yet made
 * pino clone both objects on every access line: ~40 % of the line's cost (issue 20).
 */
export const LOG_REDACT = [
  'headers.cookie',
  'headers.authorization',
  'headers["x-csrf-token"]',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'csrfToken',
];

/**
 * pino JSON logs: request id on every line (Fastify's child logger), and the secrets we handle redacted
 * at the serializer level. Request logs carry method, path and status — never headers or bodies — so a
 * token cannot reach a log through a request dump. pino escapes CR/LF and control characters in strings
 * (JSON), so a hostile username or user agent cannot forge log lines.
 */
export function loggerOptions(config: Config): LoggerOptions {
  return {
    level: config.logLevel,
    // Who the request is (see logAs), added when a line is written, not when the request is authenticated.
    mixin(_line: object, _level: number, logger: object) {
      const who = (logger as { [WHO]?: Who })[WHO];
      return who ? { auth: who } : {};
    },
    redact: { paths: LOG_REDACT, censor: '[redacted]' },
    serializers: {
      // Fastify's request, described by the fields read here (this layer does not import Fastify).
      req(request: {
        method?: unknown;
        url?: unknown;
        ip?: unknown;
        routePattern?: string | false | null;
        routeOptions?: { url?: string };
      }) {
        // A route with a secret in its path (/api/auth/password-reset/:token) is logged by its pattern:
        // the token is a password until it is used (docs/api.md, v2 "Secrets in paths"). The pattern as
        // http/route-pattern.ts remembered it when it did (routeOptions is built anew on each access).
        const known = request.routePattern;
        const pattern: string | undefined = typeof known === 'string' ? known : known === false ? undefined : request.routeOptions?.url;
        const url = pattern?.includes(':token') ? pattern : typeof request.url === 'string' ? request.url.split('?')[0] : undefined;
        return { method: request.method, url, remoteAddress: request.ip };
      },
      // Fastify's reply (or anything logged as `res`): its status only, never its headers (Set-Cookie).
      res(reply: { statusCode?: unknown }) {
        return { statusCode: reply.statusCode };
      },
    },
  };
}

/** Where an app's log lines go: standard output (the server), or a sink of JSON lines (tests). */
export type LogSink = 'stdout' | { write(line: string): void };

/**
 * The app's logger, made once by the composition root (wiring/deps.ts) before anything that logs, and
 * handed to Fastify as its logger instance and to the session stack. No sink: a logger that writes
 * nothing (the CLI, most tests).
 */
export function createLogger(config: Config, sink?: LogSink): Logger {
  if (!sink) return pino({ level: 'silent' });
  return sink === 'stdout' ? pino(loggerOptions(config), asyncStdout()) : pino(loggerOptions(config), sink);
}

/**
 * Standard output, written asynchronously and in batches: lines collect in a buffer, which goes out in
 * one write once it holds 4 KiB (or every 250 ms on a quiet server), off the request's path (pino's
 * sonic-boom with `sync: false` and `minLength`). pino's default writes every line with its own blocking
 * write(2) — a system call per request on the one thread that serves them all, and a stall whenever the
 * reader of the pipe (journald, docker) is slow. `sync: false` alone was no cheaper in CPU: one
 * thread-pool write per line costs more than the system call it replaces (issue 20, measured in CPU time
 * per request). The price is lines held in memory until written, so they are flushed synchronously when
 * the process ends: pino registers the destination for process exit (every exit path of main.ts goes
 * through process.exit), and `fatal` (the crash handlers, crash.ts) flushes at once. Tested with real
 * child processes in test/integration/ops/log-flush.test.ts.
 */
function asyncStdout() {
  keepStdoutBlocking();
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  // A quiet server's last lines must not wait for the next 4 KiB: written within FLUSH_MS at most.
  setInterval(() => destination.flush(), FLUSH_MS).unref();
  return destination;
}

/**
 * The destination above writes fd 1 from the thread pool and expects a blocking descriptor: a write
 * waits there for a slow reader. Node makes a pipe or socket on fd 1 non-blocking the moment anything
 * reads `process.stdout` (its stream for the descriptor is made then) — in the server, ioredis loading
 * `debug`, which asks `supports-color` about stdout. On a non-blocking pipe whose reader is a moment
 * behind, sonic-boom's write fails with EAGAIN and is retried 100 ms later, so lines leave at a pipe's
 * 64 KiB per 100 ms while the rest pile up in memory, and the exit's synchronous flush sleeps 100 ms at a
 * time. Measured (issue 20): after 10 s of "who am I" at 11k req/s on a pipe, the last access lines
 * took 4.3 s more to leave (160 ms with the pipe blocking). So standard output is made blocking again,
 * once, before the first line: reading process.stdout here makes Node's stream now, so nothing loaded
 * later can flip the descriptor back. `_handle.setBlocking` is libuv's uv_stream_set_blocking, which Node
 * itself calls for Windows pipes; it is not public API, hence the optional calls (a file has no such
 * handle, and is blocking already). process.stdout.write (the CLI) is then synchronous, as Node's
 * documentation describes it for files.
 */
function keepStdoutBlocking(): void {
  const stream = process.stdout as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } };
  stream._handle?.setBlocking?.(true);
}

/** Lines are written 4 KiB at a time (~15 access lines): one write per batch, not per line. */
const BATCH_BYTES = 4096;
const FLUSH_MS = 250;

/** Who a request acts as, in its log lines: the user and the session's public id, never the token. */
export interface Who {
  readonly userId: string;
  readonly sessionId: string;
}

const WHO = Symbol('stockade.log.who');

/**
 * Names who every later line of this request's logger is about, under `auth` (an audit line may name
 * another user, its subject, as `userId`). Stored on the request's own child logger and read by the
 * mixin above only when a line is written: pino's setBindings would serialise the bindings on every
 * authenticated request (~2 % of a "who am I" in the CPU profile), most of which write no line at all.
 */
export function logAs(log: object, who: Who): void {
  (log as { [WHO]?: Who })[WHO] = who;
}
