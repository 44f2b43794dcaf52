import { randomBytes } from 'node:crypto';

/**
 * A fetch-based API client that behaves like the web app: it keeps the session cookie (read from the raw
 * Set-Cookie headers, not a jar library that would hide attributes) and the CSRF token from responses,
 * and sends X-CSRF-Token on unsafe requests. Everything it does can be overridden per request, so tests
 * can also behave like an attacker.
 */

/** Response bodies are whatever JSON the server sent; tests read them freely and assert on them. */
// biome-ignore lint/suspicious/noExplicitAny: tests index into arbitrary JSON bodies; assertions check them.
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else the text. */
  body: T;
  text: string;
  setCookies: string[];
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (with contentType), instead of JSON.stringify(body). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Send X-CSRF-Token (default: true on unsafe methods when we have one). */
  csrf?: boolean;
  /** Send the session cookie (default true). */
  cookie?: boolean;
  /** Bind the request to this local address (127.0.0.N) to vary the client address. */
  localAddress?: string;
}

export const PASSWORD = 'correct horse battery staple';

export function uniqueUsername(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export class TestClient {
  /** The session token as the cookie carries it (undefined when signed out). */
  token: string | undefined;
  csrfToken: string | undefined;
  readonly cookieName: string;

  constructor(
    readonly baseUrl: string,
    opts: { secureCookie?: boolean } = {},
  ) {
    this.cookieName = opts.secureCookie === false ? 'sid' : '__Host-sid';
  }

  async request<T = Json>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.token && opts.cookie !== false && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) {
      headers.cookie = `${this.cookieName}=${this.token}`;
    }
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    if (unsafe && this.csrfToken && opts.csrf !== false) headers['x-csrf-token'] ??= this.csrfToken;
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) {
      body = typeof opts.raw === 'string' ? opts.raw : new Uint8Array(opts.raw);
      if (opts.contentType) headers['content-type'] = opts.contentType;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const res = await (opts.localAddress ? fetchFrom(opts.localAddress) : fetch)(this.baseUrl + path, {
      method,
      headers,
      body: body as BodyInit | undefined,
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? JSON.parse(text) : text;
    const setCookies = res.headers.getSetCookie();
    this.absorb(setCookies, parsed);
    return { status: res.status, headers: res.headers, body: parsed as T, text, setCookies };
  }

  get<T = Json>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = Json>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  patch<T = Json>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...opts, body });
  }
  delete<T = Json>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('DELETE', path, { ...opts, body });
  }

  async register(username = uniqueUsername(), password = PASSWORD) {
    const res = await this.post('/api/auth/register', { username, password });
    if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${res.text}`);
    return { ...res.body.user, password } as { id: string; username: string; role: string; password: string };
  }

  async login(username: string, password = PASSWORD, opts: { remember?: boolean } & RequestOptions = {}) {
    const { remember, ...rest } = opts;
    return this.post('/api/auth/login', remember === undefined ? { username, password } : { username, password, remember }, rest);
  }

  /** A second client holding the same cookie (another tab, or a thief). */
  clone(): TestClient {
    const c = new TestClient(this.baseUrl, { secureCookie: this.cookieName === '__Host-sid' });
    c.token = this.token;
    c.csrfToken = this.csrfToken;
    return c;
  }

  private absorb(setCookies: string[], body: unknown) {
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (pair.slice(0, eq).trim() !== this.cookieName) continue;
      const value = pair.slice(eq + 1).trim();
      const cleared = /max-age=0/i.test(line) || value === '';
      this.token = cleared ? undefined : value;
      if (cleared) this.csrfToken = undefined;
    }
    if (body && typeof body === 'object' && 'csrfToken' in body && typeof body.csrfToken === 'string') {
      this.csrfToken = body.csrfToken;
    }
  }
}

/** Parses one Set-Cookie line into its name, value and attributes (names lower-cased). */
export function parseSetCookie(line: string): { name: string; value: string; attrs: Record<string, string | true> } {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs: Record<string, string | true> = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    if (key) attrs[key] = i < 0 ? true : part.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs };
}

/** fetch bound to a local source address, so tests can appear to come from 127.0.0.N. */
function fetchFrom(localAddress: string): typeof fetch {
  return async (input, init) => {
    const { Agent, fetch: undiciFetch } = await import('undici');
    // A Client/Agent option in undici 6 (inside `connect` it is silently ignored: 127.0.0.1 it stays).
    const dispatcher = new Agent({ localAddress });
    try {
      return (await undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as Response;
    } finally {
      void dispatcher.close();
    }
  };
}
