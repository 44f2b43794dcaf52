import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Security headers on every response, errors and static files included (registered first, so nothing
 * escapes it): a strict CSP (no inline script or style, nothing framed, no <base>), nosniff,
 * no-referrer, CORP same-origin, HSTS when cookies are Secure (i.e. we are served over HTTPS),
 * COOP and Permissions-Policy on documents, `Cache-Control: no-store` on the API (every route under
 * /api) and on every 404, and a request id that also tags every log line.
 *
 * helmet decides the header values, but once, at start: they are the same for every response, and
 * running helmet per request (as @fastify/helmet does, re-reading the CSP directives each time) was
 * ~10 % of a "who am I" in the CPU profile of `node bench/profile.mjs stockade-pg`. Per request the
 * request guard (request-guard.ts, the first thing every request meets) does one `reply.headers(…)`
 * with one of these frozen objects, chosen by the route the router matched.
 */
export interface SecurityOptions {
  hsts: boolean;
}

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  // 'wasm-unsafe-eval' lets the page compile WebAssembly — the barcode decoder (zxing-wasm, served by
  // us) — and nothing else: no eval, no new Function, no inline script (docs/security.md S-61).
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** The headers helmet would set on a response, computed by running its middleware once. */
export function helmetHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  // With static directives helmet reads nothing from the request and calls next synchronously.
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return Object.freeze(headers);
}

// The camera for this origin's own pages only (scanning barcodes, issue 17); never for a frame of another.
const PERMISSIONS_POLICY = 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()';

/*
 * Headers that only mean something on a document a browser renders: process isolation (COOP,
 * Origin-Agent-Cluster), features a page may use (Permissions-Policy), and legacy switches for old
 * browsers' handling of pages (X-XSS-Protection, X-DNS-Prefetch-Control, X-Download-Options for IE8,
 * X-Permitted-Cross-Domain-Policies for Flash/PDF plug-ins). The API answers JSON, which no browser
 * renders as a page, so /api responses carry the OWASP REST Security Cheat Sheet's set instead —
 * Cache-Control: no-store, CSP (with frame-ancestors 'none'), HSTS, nosniff, X-Frame-Options: DENY —
 * plus Referrer-Policy and CORP (docs/security.md S-62, S-64). Half the headers: the "who am I" answer is
 * ~400 bytes lighter and skips seven header validations, on the request every page makes.
 */
const DOCUMENT_ONLY = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'permissions-policy',
  'x-xss-protection',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
]);

/** The three header sets a response can get, frozen at start: never computed per request. */
export interface SecurityHeaderSets {
  /** JSON answers under /api (the REST set plus no-store). */
  readonly api: Readonly<Record<string, string>>;
  /** Documents, static files, everything else a route answers. */
  readonly all: Readonly<Record<string, string>>;
  /** No route matched (a 404, under /api or not): the document set, plus no-store. */
  readonly unmatched: Readonly<Record<string, string>>;
}

export function securityHeaderSets(opts: SecurityOptions): SecurityHeaderSets {
  const common = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: opts.hsts ? { maxAge: 63072000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
  const all = Object.freeze({ ...common, 'permissions-policy': PERMISSIONS_POLICY });
  const api = Object.freeze({
    ...Object.fromEntries(Object.entries(all).filter(([name]) => !DOCUMENT_ONLY.has(name))),
    'cache-control': 'no-store',
  });
  const unmatched = Object.freeze({ ...all, 'cache-control': 'no-store' });
  return Object.freeze({ api, all, unmatched });
}

/** Request ids are ours (never taken from the client, which could forge log correlation). */
export const genReqId = () => randomUUID();
