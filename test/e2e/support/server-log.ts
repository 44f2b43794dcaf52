/**
 * What the server did with each request, read from its own JSON log lines: the browser may hide an
 * answer from the page (and from the test's network view, e.g. a no-cors response blocked by CORP), the
 * server's log does not.
 */
export interface Outcome {
  method: string;
  url: string;
  status: number | undefined;
  /** The CSRF plugin's reason when it refused the request. */
  csrfRefusal: string | undefined;
}

interface LogLine {
  requestId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  event?: string;
  reason?: string;
}

export function outcomes(lines: readonly string[]): Outcome[] {
  const byId = new Map<string, Outcome>();
  for (const raw of lines) {
    for (const text of raw.split('\n')) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      if (!line.requestId) continue;
      let o = byId.get(line.requestId);
      if (!o) {
        o = { method: '', url: '', status: undefined, csrfRefusal: undefined };
        byId.set(line.requestId, o);
      }
      if (line.req?.method) o.method = line.req.method;
      if (line.req?.url) o.url = line.req.url;
      if (line.res?.statusCode !== undefined) o.status = line.res.statusCode;
      if (line.event === 'csrf.failure') o.csrfRefusal = line.reason;
    }
  }
  return [...byId.values()];
}
