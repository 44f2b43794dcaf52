import type { FastifyServerOptions } from 'fastify';
import { LOG_REDACT } from './app.js';
import type { Config } from './config.js';

/**
 * pino JSON logs: request id on every line (Fastify's child logger), and the secrets we handle redacted
 * at the serializer level. Request logs carry method, path and status — never headers or bodies — so a
 * token cannot reach a log through a request dump. pino escapes CR/LF and control characters in strings
 * (JSON), so a hostile username or user agent cannot forge log lines.
 */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: LOG_REDACT, censor: '[redacted]' },
    serializers: {
      req(request) {
        return { method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip };
      },
    },
  };
}
