import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, type FieldError } from '../errors.js';
import type { ColumnTarget } from './csv-columns.js';
import type { ImportRow, ParsedImport } from './csv-import.js';
import type { ItemFieldName } from './fields.js';

/*
 * Runs the CSV import's parse (csv-import.ts) on a worker thread, so a 20 MB file costs this server's
 * event loop only the copy of the bytes in and the parsed rows out (S-88: /healthz measured 0.8–4.3 s
 * stalls when it ran here). One worker per parse, ended after it: imports are rare and rate-limited, a
 * fresh worker costs ~20–50 ms (more from tsx in development), and nothing can leak between imports.
 *
 * Bounded: at most MAX_PARALLEL parses run at once on a server (each may use a core and a few hundred MB),
 * up to MAX_WAITING wait for a turn, and beyond that the import is refused with 503 and Retry-After.
 * How it can fail: a worker that crashes or exceeds its heap rejects with an Error (a 500, logged); one
 * that runs past PARSE_TIMEOUT_MS is terminated (503), so a pathological file cannot hold a slot forever.
 */

export const MAX_PARALLEL = 2;
export const MAX_WAITING = 16;
const PARSE_TIMEOUT_MS = 120_000;
/** Heap for one parse: a 20 MiB file becomes ~100 MB of records at most; twice that leaves margin. */
const WORKER_HEAP_MB = 256;

export interface ParseRequest {
  /** Bytes from the request (decoded strictly in the worker) or already-decoded text. */
  csv: string | Uint8Array;
  /** When set, the worker also computes the idempotency request hash of the decoded text. */
  hashFor?: { method: string; path: string };
  /** The shop's currency: what decimal `Price`/`Cost` cells are written in. */
  currency: string;
  /** The column mapping sent with the import (csv-columns.ts), as entries. */
  mapping?: [string, ColumnTarget | null][];
}

/**
 * The worker's answer, as several messages: rows in slices (each message is deserialised on the event
 * loop in one piece — 10,000 rows of 2 KB in one message held it for ~100 ms), each sent when the parent
 * asks for it ('more'), then `done`; or one `refused` (a 422 the worker found: invalid UTF-8, row errors).
 */
export type ParseReply =
  | { kind: 'rows'; rows: ImportRow[] }
  | {
      kind: 'done';
      columns: ItemFieldName[];
      unknownColumns: string[];
      errors: FieldError[];
      requestHash: string | undefined;
    }
  | { kind: 'refused'; refusal: { code: ErrorCode; detail: string | undefined; status: number; errors: readonly FieldError[] } };

/*
 * The worker's file sits next to this one: csv-worker.js in the compiled dist/ (npm start), csv-worker.ts
 * when running from source under tsx (tests, `npm run dev`). Node 20 does not carry tsx's loader hooks
 * into a worker (ERR_UNKNOWN_FILE_EXTENSION on the .ts), so from source the worker is a two-line
 * bootstrap that registers tsx first and then imports the TypeScript file.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./csv-worker.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);

// Resolved once, at load: under tsx, import.meta.resolve is a synchronous round trip to the loader
// thread, which held the event loop for ~200 ms per import on a busy machine.
const SOURCE_BOOT = FROM_SOURCE
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`
  : undefined;

function newWorker(): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  return SOURCE_BOOT === undefined ? new Worker(WORKER_URL, { resourceLimits }) : new Worker(SOURCE_BOOT, { eval: true, resourceLimits });
}

let running = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (running < MAX_PARALLEL) {
    running += 1;
    return;
  }
  if (waiting.length >= MAX_WAITING) {
    throw new AppError('unavailable', 'Too many imports are running; try again shortly.', { retryAfter: 10 });
  }
  // The slot is handed over by release(), so `running` never dips and lets a newcomer jump the queue.
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running -= 1;
}

/** The bytes to send: moved, not copied, into the worker (a 20 MB copy held the loop for ~75 ms). */
function transferable(csv: string | Uint8Array): { csv: string | Uint8Array; transfer: ArrayBuffer[] } {
  if (typeof csv === 'string') return { csv, transfer: [] };
  // Only a buffer that owns its whole ArrayBuffer can be moved (small Buffers share a pool); else copy once.
  const own = csv.byteOffset === 0 && csv.byteLength === csv.buffer.byteLength && csv.buffer instanceof ArrayBuffer ? csv : csv.slice();
  return { csv: own, transfer: [own.buffer as ArrayBuffer] };
}

function runWorker(request: ParseRequest): Promise<OffLoopParse> {
  return new Promise((resolve, reject) => {
    const worker = newWorker();
    const rows: ImportRow[] = [];
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(
      () => finish(() => reject(new AppError('unavailable', 'The import took too long; try a smaller file.', { retryAfter: 60 }))),
      PARSE_TIMEOUT_MS,
    );
    worker.on('message', (reply: ParseReply) => {
      if (reply.kind === 'rows') {
        for (const row of reply.rows) rows.push(row);
        // The next slice only after the event loop has had a turn (csv-worker.ts sends one per request).
        setImmediate(() => {
          if (!settled) worker.postMessage('more');
        });
      } else if (reply.kind === 'done') {
        finish(() =>
          resolve({
            parsed: { rows, columns: reply.columns, unknownColumns: reply.unknownColumns, errors: reply.errors },
            requestHash: reply.requestHash,
          }),
        );
      } else {
        const r = reply.refusal;
        finish(() => reject(new AppError(r.code, r.detail, { errors: r.errors, status: r.status })));
      }
    });
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) => finish(() => reject(new Error(`csv worker exited with code ${code} before answering`))));
    const { csv, transfer } = transferable(request.csv);
    worker.postMessage({ ...request, csv }, transfer);
  });
}

export interface OffLoopParse {
  parsed: ParsedImport;
  /** The idempotency request hash, when `hashFor` was given. */
  requestHash: string | undefined;
}

/**
 * Parses and validates a CSV import on a worker thread; throws the same 422 AppErrors as parseImport
 * and answers the row problems it collects.
 * Bytes passed in are moved to the worker: the caller must not use them afterwards.
 */
export async function parseImportOffLoop(request: ParseRequest): Promise<OffLoopParse> {
  await acquire();
  try {
    return await runWorker(request);
  } finally {
    release();
  }
}
