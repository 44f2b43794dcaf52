import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { RequestLatencyHistogram } from '../../../src/observability/request-latency.js';

const NAME = 'stockade_http_request_duration_seconds';
const HELP = 'HTTP request latency.';
const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same observations through prom-client's own Histogram and through ours: the exposition must match. */
async function bothExpositions(observations: readonly [string, string, number, number][]) {
  const reference = new Registry();
  const theirs = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status'] as const,
    buckets: BOUNDS,
    registers: [reference],
  });
  const registry = new Registry();
  const ours = new RequestLatencyHistogram(NAME, HELP, BOUNDS);
  registry.registerMetric(ours as unknown as Histogram);
  for (const [method, route, status, seconds] of observations) {
    theirs.observe({ method, route, status }, seconds);
    ours.observe(method, route, status, seconds);
  }
  // Series come out in another order (prom-client keeps them by a joined key): compare as sets of lines.
  const lines = (text: string) => text.trim().split('\n').sort();
  return { expected: lines(await reference.metrics()), actual: lines(await registry.metrics()), ours };
}

describe('request latency histogram (observability/request-latency.ts)', () => {
  test("exports exactly what prom-client's Histogram exports for the same observations", async () => {
    const routes = ['/api/auth/session', '/api/items', '/api/items/:id', 'unmatched'];
    const methods = ['GET', 'POST', 'DELETE'];
    const statuses = [200, 201, 204, 400, 401, 404, 500];
    // Values on the bounds, between them, below the first and above the last (only in +Inf).
    const values = [0, 0.0001, 0.001, 0.0011, 0.0025, 0.007, 0.05, 0.3, 1, 2.5, 9.99, 10, 11, 120];
    const observations: [string, string, number, number][] = [];
    let n = 0;
    for (let i = 0; i < 2000; i++) {
      n = (n * 1103515245 + 12345) % 2147483648; // deterministic, spread over every series and value
      observations.push([methods[n % 3]!, routes[(n >> 3) % 4]!, statuses[(n >> 5) % 7]!, values[(n >> 8) % values.length]!]);
    }
    const { expected, actual } = await bothExpositions(observations);
    assert.ok(expected.length > 100, 'the reference exported many series');
    assert.deepEqual(actual, expected);
  });

  test('no observation, no series; reset forgets them all', async () => {
    const { expected, actual, ours } = await bothExpositions([]);
    assert.deepEqual(actual, expected);
    ours.observe('GET', '/x', 200, 0.002);
    assert.equal((await ours.get()).values.length, BOUNDS.length + 3);
    ours.reset();
    assert.equal((await ours.get()).values.length, 0);
  });

  test('bounds must ascend', () => {
    assert.throws(() => new RequestLatencyHistogram(NAME, HELP, [0.1, 0.1]), RangeError);
  });
});
