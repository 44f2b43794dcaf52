import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { routePattern } from './route-pattern.js';

/**
 * One access-log line per request, written when the answer is finished: request id (the child logger's
 * binding), method, path (by its pattern when the path holds a secret: observability/logger.ts), the
 * matched route pattern, status, time in ms, and — for a signed-in request — the user and the session's
 * public id (`auth`, added by the logger's mixin). Fastify's default writes two lines at info ("incoming
 * request" and "request completed"), plus a third for an unmatched route; each line is a serialisation
 * and a write on every request (issue 20: the second line cost about a sixth of a "who am I"). The
 * arrival line is kept at debug, for following a drain or a cut connection (the fault tests read it). A request that never completes (the client went away) has
 * no line here; the errors handler still logs a 5xx with its stack, and refusals log their own events.
 */
export class AccessLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  /** At debug only: the arrival of a request that may never complete (drains, cut connections). */
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      req: request,
      // Undefined when no route matched (a 404, or refused before routing): one value for all of them.
      route: routePattern(request) ?? 'unmatched',
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
