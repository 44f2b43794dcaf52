import { type ApiResponse, TestClient } from '../../support/client.js';

/**
 * Helpers for driving a server process: merchants made over HTTP, a CSV catalogue, and the
 * classification of an attempt's fate that the fault tests assert on.
 */

/** Registers a merchant (signed in) on a client for `url`; plain-HTTP cookie unless secure. */
export async function merchant(url: string, opts: { secureCookie?: boolean } = {}): Promise<TestClient> {
  const c = new TestClient(url, { secureCookie: opts.secureCookie ?? false });
  await c.register();
  return c;
}

/** A CSV of `rows` items (SKU prefix + number), each with a description of `pad` characters. */
export function catalogue(rows: number, prefix = 'SKU', pad = 0): string {
  const lines = ['sku,name,quantity,description'];
  const description = 'd'.repeat(pad);
  for (let i = 0; i < rows; i++) lines.push(`${prefix}-${i},Item ${i},${1000 + i},${description}`);
  return `${lines.join('\n')}\n`;
}

export async function importCatalogue(c: TestClient, csv: string): Promise<void> {
  const res = await c.request('POST', '/api/items/import', { raw: csv, contentType: 'text/csv' });
  if (res.status !== 200) throw new Error(`import: ${res.status} ${res.text.slice(0, 300)}`);
}

/**
 * What happened to one request:
 * - `answered`: a complete response (status and the whole body);
 * - `refused`: fetch failed before any response (connection refused or closed before an answer):
 *   the request was not accepted, nothing was cut;
 * - `cut`: a response started but its body broke off — the failure a graceful shutdown must prevent.
 */
export type Fate = { kind: 'answered'; res: ApiResponse } | { kind: 'refused'; error: string } | { kind: 'cut'; error: string };

export async function attempt(run: () => Promise<ApiResponse>): Promise<Fate> {
  try {
    return { kind: 'answered', res: await run() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const detail = `${e.message} ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`.trim();
    // TestClient reads the whole body inside request(): a body that breaks off surfaces as undici's
    // "terminated" (UND_ERR_SOCKET during the body); a failure before the response as "fetch failed".
    return /terminated/i.test(e.message) ? { kind: 'cut', error: detail } : { kind: 'refused', error: detail };
  }
}
