// A node:test reporter that writes only the failures, each with its file, its suites and the first lines of
// its error, to its destination (scripts/test.mjs gives it test-results/failures.txt and prints that
// file after node's summary). Why: a CI log is often read from its end, and in a TAP stream of ~1,300
// tests a failure sits hundreds of lines above the `# fail 2` that announces it.
import { relative } from 'node:path';

const ROOT = process.cwd();
const ERROR_LINES = 12;

/** The error a failure is about: node wraps what a test threw in ERR_TEST_FAILURE, with it as the cause. */
function reason(error) {
  const inner = error?.code === 'ERR_TEST_FAILURE' && error.cause ? error.cause : error;
  if (inner instanceof Error) {
    // The stack starts with the message; node's own frames (node:…) say nothing about the test.
    const text = inner.stack ?? `${inner.name}: ${inner.message}`;
    return text.split('\n').filter((line) => line.trim() !== '' && !/^\s*at .*\(?node:/.test(line));
  }
  return [String(inner)];
}

export default async function* failureDigest(source) {
  const failures = [];
  const openSuites = new Map(); // file → names of the suites a test there runs in, by nesting
  for await (const event of source) {
    if (event.type === 'test:start') {
      const { name, file, nesting } = event.data;
      const names = openSuites.get(file) ?? [];
      names.length = nesting;
      names.push(name);
      openSuites.set(file, names);
      continue;
    }
    if (event.type !== 'test:fail') continue;
    const { name, file, nesting, details } = event.data;
    // A suite fails because a test in it did: that test is listed already.
    if (details?.error?.failureType === 'subtestsFailed') continue;
    // Not the event's line: with a process per file, node gives the line where the file was started.
    const where = file ? relative(ROOT, file) : '(no file)';
    const path = [...(openSuites.get(file) ?? []).slice(0, nesting), name].join(' > ');
    failures.push({ where, path, lines: reason(details?.error).slice(0, ERROR_LINES) });
  }
  if (failures.length === 0) return;
  let out = `# ${failures.length} failed:\n`;
  for (const f of failures) {
    out += `#  ✗ ${f.where}: ${f.path}\n`;
    for (const l of f.lines) out += `#      ${l}\n`;
  }
  yield out;
}
