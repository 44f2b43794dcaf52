import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestServer } from '../../support/app.js';
import { ROOT } from './documented.js';

/**
 * deploy/alerts.yml, the Prometheus rules docs/operations.md ships: every rule is complete (name, one-line
 * expr, severity, summary), and every metric its expressions name is one a running server exports on
 * /metrics (a renamed metric would otherwise leave an alert that can never fire). Where promtool is
 * installed, `promtool check rules` must accept the file too. No YAML library is a dependency, so the
 * file is kept to a plain shape this test reads line by line.
 */
const FILE = join(ROOT, 'deploy/alerts.yml');
/** Series Prometheus makes itself, not the server. */
const PROMETHEUS_OWN = new Set(['up']);

interface Rule {
  alert: string;
  expr: string;
  severity?: string;
  summary?: string;
}

function readRules(text: string): Rule[] {
  assert.doesNotMatch(text, /\t/, 'YAML indents with spaces only');
  const rules: Rule[] = [];
  for (const line of text.split('\n')) {
    const alert = /^\s+- alert: (\S+)$/.exec(line);
    if (alert?.[1]) {
      rules.push({ alert: alert[1], expr: '' });
      continue;
    }
    const rule = rules[rules.length - 1];
    const field = /^\s+(expr|severity|summary): (.+)$/.exec(line);
    if (!rule || !field?.[1] || !field[2]) continue;
    if (field[1] === 'expr') rule.expr = field[2];
    else rule[field[1] as 'severity' | 'summary'] = field[2];
  }
  return rules;
}

/** The metric names in a PromQL expression: what is left once strings, matchers, ranges, grouping clauses, numbers, functions and keywords are gone. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(^|[^a-zA-Z_:])\d+(\.\d+)?(e[+-]?\d+)?/g, '$1 ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(?))/g)) {
    const followedByParen = m[1] === '(';
    if (followedByParen || ['and', 'or', 'unless', 'bool', 'offset'].includes(m[0])) continue;
    names.add(m[0]);
  }
  return [...names];
}

describe('deploy/alerts.yml', () => {
  test('every rule is complete and names only metrics a server exports', async () => {
    const rules = readRules(readFileSync(FILE, 'utf8'));
    assert.ok(rules.length >= 8, `rules found: ${rules.map((r) => r.alert).join(', ')}`);
    assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');

    const server = await startTestServer();
    let exported: Set<string>;
    try {
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      exported = new Set<string>(PROMETHEUS_OWN);
      // Every registered metric has a TYPE line even before its first sample; histograms are queried
      // through their _bucket, _sum and _count series.
      for (const m of (await res.text()).matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
        const [, name = '', type] = m;
        exported.add(name);
        if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
      }
    } finally {
      await server.close();
    }

    const used = new Set<string>();
    for (const r of rules) {
      assert.ok(r.expr, `${r.alert} has an expr`);
      assert.match(r.severity ?? '', /^(page|ticket)$/, `${r.alert} has a severity`);
      assert.ok(r.summary, `${r.alert} has a summary`);
      const names = metricNames(r.expr);
      assert.ok(names.length > 0, `${r.alert}: no metric found in ${r.expr}`);
      for (const n of names) {
        assert.ok(exported.has(n), `${r.alert} names ${n}, which the server does not export`);
        used.add(n);
      }
    }
    // The parser itself: it must see through functions, matchers, grouping and numbers.
    assert.deepEqual(
      metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{route!="x"}[5m]))) > 1.5e9 and on (instance) b == 0'),
      ['a_bucket', 'b'],
    );
    for (const core of ['stockade_store_errors_total', 'stockade_revocation_bus_up', 'stockade_signin_attempts_total']) {
      assert.ok(used.has(core), `an alert watches ${core}`);
    }
  });

  test('promtool check rules accepts the file, where promtool is installed', (t) => {
    if (spawnSync('sh', ['-c', 'command -v promtool']).status !== 0) {
      t.diagnostic('promtool is not installed: the file was checked by the parser above only');
      return;
    }
    const run = spawnSync('promtool', ['check', 'rules', FILE], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });
});
