import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import type { EventSink, StreamEvent } from '../../sessions/events.js';
import type { AppDeps } from '../../wiring/deps.js';
import { requireUser } from '../guards.js';
import { EventsQuery } from '../schemas/requests/events.js';

/**
 * GET /api/events: Server-Sent Events for the signed-in session (docs/api.md "Events"). The stream
 * itself is sessions/events.ts; this is its HTTP side:
 * - `renews: false`: neither opening nor holding it counts as activity (session plugin), so a tab left
 *   open does not keep its session alive; the stream says `expired` when the session's time is up.
 * - The reply is hijacked: Fastify writes nothing more, and we write the event stream on the socket.
 *   The security headers set by the onRequest hooks go out with ours.
 * - Registered before the headers are written, so a client that has seen the 200 hears everything
 *   that happens afterwards.
 * - Shutdown (main.ts drains with app.close()): preClose ends every stream, or each would hold the
 *   drain until its timeout; the browser reconnects, to another server.
 */

export interface EventRoutesOptions {
  deps: AppDeps;
}

/** Seconds a browser turned away by a full server waits (Retry-After) before trying again. */
const FULL_RETRY_AFTER = 5;

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { deps }) => {
  const { events } = deps;
  app.addHook('preClose', (done) => {
    events.closeAll();
    done();
  });

  app.get(
    '/api/events',
    {
      config: {
        access: 'user',
        renews: false,
        operation: {
          tag: 'sessions',
          summary: 'Events for this session (Server-Sent Events)',
          description:
            '`text/event-stream`. `session.ended` `{reason}` (signed_out, revoked, expired, password_changed, disabled) is the last event before the stream closes; `shop.changed` `{shopId, reason}` (role_changed, removed, mfa_required). Comment lines are heartbeats. Reading the stream never renews the session. At most 3 streams per session (a 4th closes the oldest); a server holding EVENTS_MAX_STREAMS answers 503 with Retry-After.',
          ok: { status: 200, description: 'The event stream.', contentType: 'text/event-stream' },
        },
      },
      schema: { querystring: EventsQuery },
    },
    (request, reply) => {
      const auth = requireUser(request);
      const raw = reply.raw;
      let open = true;
      const write = (text: string) => {
        if (open) raw.write(text);
      };
      const sink: EventSink = {
        send: (event: StreamEvent) => write(`event: ${event.type}\ndata: ${JSON.stringify(payloadOf(event))}\n\n`),
        heartbeat: () => write(': keep-alive\n\n'),
        close: () => {
          if (!open) return;
          open = false;
          raw.end();
        },
      };
      const forget = events.open(auth, sink);
      if (!forget)
        throw new AppError('unavailable', 'Too many open event streams here; try again shortly.', { retryAfter: FULL_RETRY_AFTER });
      raw.on('close', () => {
        open = false;
        forget();
      });
      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) raw.setHeader(name, value);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // nginx and some other proxies buffer responses unless told not to.
        'x-accel-buffering': 'no',
        // The connection goes with the stream: an ended stream's socket would otherwise idle in keep-alive
        // until keepAliveTimeout, holding a draining server's close() that long.
        connection: 'close',
      });
      // The first bytes: the client (and any proxy) sees the stream open now, not at the first heartbeat.
      raw.write(': open\n\n');
    },
  );
};

function payloadOf(event: StreamEvent): object {
  return event.type === 'session.ended' ? { reason: event.reason } : { shopId: event.shopId, reason: event.reason };
}
