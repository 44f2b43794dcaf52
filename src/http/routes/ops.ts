import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../wiring/deps.js';
import { HealthSchema, ReadinessSchema } from '../schemas/ops.js';

/** Liveness and readiness for load balancers and orchestrators. */

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; the message of a rejection is not shown to clients. */
  check(): Promise<void>;
  /** A degraded optional part (e.g. the Redis cache) reports but does not make us unready. */
  optional?: boolean;
}

export const opsRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps; checks: ReadinessCheck[] }> = async (app, { deps, checks }) => {
  const all: ReadinessCheck[] = [{ name: 'database', check: () => deps.db.ping() }, ...checks];

  app.get(
    '/healthz',
    {
      config: {
        access: 'public',
        operation: { tag: 'operations', summary: 'Liveness: the process is up', ok: { status: 200, description: 'Alive.' } },
      },
      schema: { response: { 200: HealthSchema } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'operations',
          summary: 'Readiness: the database (and Redis, when configured) answers',
          ok: { status: 200, description: 'Ready, or degraded (an optional part such as the Redis cache is down).' },
          errors: [503],
        },
      },
      // 503 is not a problem here: the same shape says which check is down.
      schema: { response: { 200: ReadinessSchema, 503: ReadinessSchema } },
    },
    async (_request, reply) => {
      const results: Record<string, 'ok' | 'down'> = {};
      let ready = true;
      await Promise.all(
        all.map(async (c) => {
          try {
            await withTimeout(c.check(), 2000);
            results[c.name] = 'ok';
          } catch {
            results[c.name] = 'down';
            if (!c.optional) ready = false;
          }
        }),
      );
      const degraded = Object.values(results).includes('down');
      reply.header('cache-control', 'no-store');
      if (!ready) reply.header('retry-after', '5');
      return reply.status(ready ? 200 : 503).send({ status: ready ? (degraded ? 'degraded' : 'ready') : 'unavailable', checks: results });
    },
  );
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
