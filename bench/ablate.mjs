#!/usr/bin/env node
// Where the session layer's CPU goes, by ablation: copies of the built server (dist/) with one step of the
// "who am I" path switched off each, measured in CPU per request next to the same-work ceiling and the
// unchanged build, interleaved in one run (bench/cpu.mjs). A CPU profile attributes a few µs badly on
// this path (sampling, inlining, and costs paid later — cache misses and GC — land elsewhere); taking a
// step away and measuring what the whole request saves does not. The copies are diagnostics only: each
// is wrong in a way no user must ever run (they skip the very checks they measure).
//
//   npm run build && node bench/ablate.mjs [rounds=5] [seconds=5]
//
// Each patch names the compiled file and the text it replaces; a patch that no longer applies (the
// source moved) stops the tool, naming it, rather than measuring a copy that is not what it says.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const WORK = join(BENCH, '.work', 'ablate');
const rounds = process.argv[2] ?? '5';
const seconds = process.argv[3] ?? '5';

/** The who-am-I route's first statement in the compiled handler: where the ablations hook in. */
const HANDLER = '        const auth = requireUser(request);\n        const token = request.sessionToken;';

const ABLATIONS = {
  // The whole session layer off for who-am-I: no cookie parsed, no session looked up, no access check,
  // no shops read, no body made; the answer is the text a real answer had (remembered from the first).
  'no-session-layer': [
    [
      'src/http/plugins/request-guard.js',
      "        reply.header('x-request-id', request.id);\n",
      "        reply.header('x-request-id', request.id);\n        if (route === '/api/auth/session' && globalThis.__ablateBody !== undefined) return done();\n",
    ],
    [
      'src/http/access.js',
      'const signedIn = (request, _reply, done) => {\n',
      "const signedIn = (request, _reply, done) => {\n    if (globalThis.__ablateBody !== undefined && request.routePattern === '/api/auth/session') return done();\n",
    ],
    [
      'src/http/routes/auth.js',
      HANDLER,
      "        if (globalThis.__ablateBody !== undefined && !request.auth) { reply.header('content-type', 'application/json; charset=utf-8'); reply.send(globalThis.__ablateBody); return; }\n" +
        HANDLER,
    ],
    ['src/http/who-am-i.js', '    made.set(auth, { token, shops, json });', '    made.set(auth, { token, shops, json });\n    globalThis.__ablateBody = json;'],
  ],
  // engine.validate answered from a Map by the raw token: no shape check, no SHA-256, no cache lookup,
  // no lifetime check (what the session lookup itself costs).
  'no-validate': [
    [
      'src/http/plugins/session.js',
      'const verdict = opts.engine.validate(token, routeRenews, request);',
      'const verdict = MEMO.get(token) ?? opts.engine.validate(token, routeRenews, request);\n        if (verdict && !(verdict instanceof Promise)) MEMO.set(token, verdict);',
    ],
    ['src/http/plugins/session.js', 'export function sessionCheck(opts) {', 'const MEMO = new Map();\nexport function sessionCheck(opts) {'],
  ],
  // Only the SHA-256 of the token remembered (everything else of the lookup still runs).
  'no-token-hash': [
    [
      'src/sessions/tokens.js',
      "export function tokenKey(token) {\n    return hash('sha256', token, 'base64url');",
      "const KEYS = new Map();\nexport function tokenKey(token) {\n    let k = KEYS.get(token);\n    if (k === undefined) { k = hash('sha256', token, 'base64url'); KEYS.set(token, k); }\n    return k;",
    ],
  ],
  // No latency histogram observation.
  'no-metrics': [
    ['src/http/plugins/metrics.js', "    app.addHook('onResponse', (request, reply, done) => {\n", "    app.addHook('onResponse', (request, reply, done) => {\n        return done();\n"],
  ],
  // No request-hygiene checks (canonical target, charset, query encoding).
  'no-hygiene': [['src/http/plugins/request-guard.js', 'const refused = hygieneRefusal(request);', 'const refused = null;']],
};

if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
  console.error('no build: run `npm run build` first');
  process.exit(2);
}
rmSync(WORK, { recursive: true, force: true });
const roots = [];
for (const [name, patches] of Object.entries(ABLATIONS)) {
  const root = join(WORK, name);
  mkdirSync(root, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  for (const [file, find, replace] of patches) {
    const path = join(root, 'dist', file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(find)) {
      console.error(`ablation ${name}: ${file} no longer contains the text it replaces:\n${find}`);
      process.exit(1);
    }
    writeFileSync(path, text.replace(find, replace));
  }
  roots.push(`stockade-pg@${root}`);
}
const keys = ['fastify-same-work', 'stockade-pg', ...roots].join(',');
console.log(`node bench/cpu.mjs ${keys} ${rounds} ${seconds}`);
const run = spawnSync('node', [join(BENCH, 'cpu.mjs'), keys, rounds, seconds], { stdio: 'inherit' });
process.exit(run.status ?? 1);
