/**
 * Reading a server's own account of its requests from its JSON log: at debug level it writes "incoming
 * request" when one arrives (server-process.ts runs at debug), and at info "request completed" (or
 * "request errored", "stream closed prematurely") when its response is done (src/http/access-log.ts).
 * A request that came in and never completed was cut off.
 */
export interface RequestLedger {
  /** Request ids that arrived. */
  incoming: Set<string>;
  /** Request id → status of a response written in full. */
  completed: Map<string, number>;
  /** Request ids whose response failed or whose stream closed early. */
  broken: Set<string>;
  /** Request ids that arrived, or completed, after the first line matching `mark` (e.g. the shutdown). */
  completedAfterMark: Set<string>;
}

export function requestLedger(lines: Record<string, unknown>[], mark?: (line: Record<string, unknown>) => boolean): RequestLedger {
  const ledger: RequestLedger = { incoming: new Set(), completed: new Map(), broken: new Set(), completedAfterMark: new Set() };
  let marked = false;
  for (const line of lines) {
    if (mark?.(line)) marked = true;
    const id = line.requestId;
    if (typeof id !== 'string') continue;
    if (line.msg === 'incoming request') ledger.incoming.add(id);
    else if (line.msg === 'request completed') {
      ledger.completed.set(id, Number((line.res as { statusCode?: number } | undefined)?.statusCode));
      if (marked) ledger.completedAfterMark.add(id);
    } else if (line.msg === 'request errored' || line.msg === 'stream closed prematurely') ledger.broken.add(id);
  }
  return ledger;
}

/** Ids that came in but were never answered in full. */
export function unfinished(ledger: RequestLedger): string[] {
  return [...ledger.incoming].filter((id) => !ledger.completed.has(id) || ledger.broken.has(id));
}
