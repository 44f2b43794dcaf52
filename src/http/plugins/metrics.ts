import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/db.js';
import { AppError } from '../../errors.js';
import type { BusSource, CacheStatsSource, Metrics } from '../../observability/metrics.js';
import { routePattern } from '../route-pattern.js';

/**
 * Request metrics and GET /metrics (Prometheus text format).
 *
 * Per request: one histogram observation in onResponse (route *pattern*, method, status, Fastify's own
 * elapsed time), plus one counter for sign-in answers. No other hook, no allocation worth measuring.
 *
 * Who may scrape. Counts and latencies are not secrets, but they tell an outsider how busy a shop is and
 * when sign-ins fail, so /metrics is not public by default:
 * - METRICS_TOKEN set: `Authorization: Bearer <token>` from anywhere (Prometheus `authorization:`
 *   / `bearer_token_file`); anything else is 401. METRICS_TOKEN_PREVIOUS is accepted too, so a token
 *   change needs no moment when scrapers and servers disagree.
 * - unset, and no proxy trusted: loopback clients only (a Prometheus or agent on the same host), and
 *   only requests that came straight to us: a request carrying proxy headers (X-Forwarded-For,
 *   Forwarded, X-Real-IP) is refused even from 127.0.0.1, because a reverse proxy on the same host makes
 *   every visitor look local.
 * - unset, with TRUST_PROXY: refused (403). A proxy is in front by the operator's own account, and one
 *   that adds no header (HAProxy without `option forwardfor`) would pass every visitor's request on from
 *   a loopback address with nothing to tell it from a local scraper's (S-75).
 */

export interface MetricsPluginOptions {
  /** This app's registry and metrics (wiring/deps.ts creates them): never another app's. */
  metrics: Metrics;
  /** The database the active-sessions gauge counts in (scrape time only). */
  db: Pick<Db, 'query'>;
  /** METRICS_TOKEN (and METRICS_TOKEN_PREVIOUS): scrapers must send one of them as a bearer token. */
  tokens?: readonly string[] | undefined;
  /** TRUST_PROXY is set: without tokens, nobody may scrape (a proxied request can look local). */
  behindProxy?: boolean | undefined;
  /** The session stack's local cache and revocation bus (sessions/stack.ts), read at scrape time. */
  sessionStack?: { readonly cache?: CacheStatsSource | undefined; readonly bus?: BusSource | undefined } | undefined;
}

const LOGIN_ROUTE = '/api/auth/login';
const LOGIN_OUTCOMES: Readonly<Record<number, string>> = { 200: 'success', 401: 'failure', 429: 'throttled', 503: 'unavailable' };
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

const digest = (s: string) => createHash('sha256').update(s).digest();

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function authorize(request: FastifyRequest, tokenDigests: readonly Buffer[], behindProxy: boolean): void {
  if (tokenDigests.length > 0) {
    const header = request.headers.authorization;
    const presented = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : '';
    // Compared as digests: equal lengths for timingSafeEqual, no early exit on the first wrong byte, and
    // every accepted token is compared (no short cut), so the timing tells nothing about which matched.
    const given = digest(presented);
    let matched = false;
    for (const expected of tokenDigests) matched = timingSafeEqual(given, expected) || matched;
    if (!presented || !matched) throw new AppError('unauthenticated', 'Send the metrics token as a bearer token.');
    return;
  }
  if (behindProxy) {
    throw new AppError('forbidden', 'Metrics are not served through a trusted proxy without a token; set METRICS_TOKEN.');
  }
  const direct = !PROXY_HEADERS.some((h) => request.headers[h] !== undefined);
  if (!direct || !isLoopback(request.ip) || !isLoopback(request.socket.remoteAddress)) {
    throw new AppError('forbidden', 'Metrics are served to loopback clients only; set METRICS_TOKEN to scrape from elsewhere.');
  }
}

async function metrics(app: FastifyInstance, opts: MetricsPluginOptions) {
  const tokenDigests = (opts.tokens ?? []).map(digest);
  const behindProxy = opts.behindProxy ?? false;
  const { registry, httpRequestDuration, signInAttempts } = opts.metrics;
  const stops = [
    opts.metrics.watchActiveSessions(opts.db),
    opts.metrics.watchSessionCache(opts.sessionStack?.cache),
    opts.metrics.watchRevocationBus(opts.sessionStack?.bus),
  ];
  app.addHook('onClose', async () => {
    for (const stop of stops) stop();
  });

  app.addHook('onResponse', (request, reply, done) => {
    // Undefined for requests no route matched (404s, refused before routing): one series for all of them.
    const route = routePattern(request) ?? 'unmatched';
    const status = reply.statusCode;
    httpRequestDuration.observe(request.method, route, status, reply.elapsedTime / 1000);
    if (route === LOGIN_ROUTE && request.method === 'POST') {
      const outcome = LOGIN_OUTCOMES[status];
      if (outcome) signInAttempts.inc({ outcome });
    }
    done();
  });

  // `scraper`: not a session; authorize() below is this route's own check (token or direct loopback).
  app.get(
    '/metrics',
    {
      config: {
        access: 'scraper',
        operation: {
          tag: 'operations',
          summary: 'Prometheus metrics',
          description:
            'Text exposition format. With METRICS_TOKEN set, send `Authorization: Bearer <token>` (METRICS_TOKEN_PREVIOUS works too); otherwise served to direct loopback clients only, and to nobody when TRUST_PROXY is set.',
          ok: { status: 200, description: 'Prometheus text format 0.0.4.', contentType: 'text/plain; version=0.0.4' },
        },
      },
    },
    async (request, reply) => {
      authorize(request, tokenDigests, behindProxy);
      const text = await registry.metrics();
      return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
    },
  );
}

export const metricsPlugin = fp(metrics, { name: 'stockade-metrics', fastify: '5.x', dependencies: ['stockade-errors'] });
