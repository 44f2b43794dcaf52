import type { Logger } from 'pino';

/**
 * A bug that escapes every handler ends the process (its state is unknown) — as one JSON log line with
 * the stack, where the operator's log pipeline sees it, rather than a bare trace on stderr. `fatal`
 * flushes the asynchronous log destination synchronously (logger.ts), so the lines written just before
 * the crash (the access lines of the requests it interrupted) are not lost with the process.
 */
export function exitOnCrash(log: Pick<Logger, 'fatal'>): void {
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection: exiting');
    process.exit(1);
  });
}
