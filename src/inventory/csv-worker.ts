import { parentPort } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { parseImport } from './csv-import.js';
import { requestHash } from './idempotency.js';
import type { ParseReply, ParseRequest } from './csv-parse-off-loop.js';

/** Rows per message back: the parent deserialises each message in one go, so each must be small. */
const ROWS_PER_MESSAGE = 250;

/*
 * The CSV import's worker thread (S-88): decoding, hashing and parsing a 20 MB file is seconds of CPU
 * that would otherwise stall every request of this server. One message in, one message out; the parent
 * terminates the worker afterwards, so nothing leaks from one import into the next.
 * A domain refusal (invalid UTF-8, row errors) travels back as data and becomes the same AppError in
 * the parent; anything else is thrown and surfaces as the worker's `error` event (a 500 there).
 */

function decode(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    // Strict: invalid UTF-8 is refused, not stored as U+FFFD.
    throw new AppError('validation', 'The CSV is not valid UTF-8.', {
      errors: [{ path: 'csv', message: 'is not valid UTF-8' }],
      status: 422,
    });
  }
}

/** The parsed rows in slices, then the end (or a refusal alone). */
function* handle(message: ParseRequest): Generator<ParseReply> {
  let parsed: ReturnType<typeof parseImport>;
  let hash: string | undefined;
  try {
    const text = decode(message.csv);
    hash = message.hashFor === undefined ? undefined : requestHash(message.hashFor.method, message.hashFor.path, text);
    parsed = parseImport(text, { currency: message.currency, mapping: new Map(message.mapping ?? []) });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    yield { kind: 'refused', refusal: { code: err.code, detail: err.detail, status: err.status, errors: err.options.errors ?? [] } };
    return;
  }
  for (let i = 0; i < parsed.rows.length; i += ROWS_PER_MESSAGE) {
    yield { kind: 'rows', rows: parsed.rows.slice(i, i + ROWS_PER_MESSAGE) };
  }
  yield { kind: 'done', columns: parsed.columns, unknownColumns: parsed.unknownColumns, errors: parsed.errors, requestHash: hash };
}

/*
 * One slice per request from the parent ("more"): posted all at once, the slices would queue up and the
 * parent would drain them in one task, which is the stall we are here to avoid.
 */
parentPort?.once('message', (message: ParseRequest) => {
  const replies = handle(message);
  const next = () => {
    const reply = replies.next();
    if (!reply.done) parentPort?.postMessage(reply.value);
  };
  parentPort?.on('message', next);
  next();
});
