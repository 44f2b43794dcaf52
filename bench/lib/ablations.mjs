// Copies of a built Stockade (dist/) with one step of the "who am I" path switched off each: where the
// session layer's CPU goes, measured by what the whole request saves without the step (bench/ablate.mjs,
// and the ablation phase of npm run bench). A CPU profile attributes a few µs badly on this path
// (sampling, inlining, and costs paid later — cache misses, GC — land elsewhere); taking a step away does
// not. The copies are diagnostics only: each is wrong in a way no user must ever run (they skip the very
// checks they measure). Each patch names the compiled file and the text it replaces; a patch that no
// longer applies (the source moved) throws, naming it, rather than measuring a copy that is not what it
// says.
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The who-am-I route's first statement in the compiled handler: where the ablations hook in. */
const HANDLER = '        const auth = requireUser(request);\n        const token = request.sessionToken;';

export const ABLATIONS = {
  // Nothing switched off: the shipped build, started fresh like every copy (a server that has served a
  // whole bench run — sign-in storms, thousands of cached sessions — is not the baseline for a fresh one).
  shipped: [],
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

/** What each copy leaves out, for the report. */
export const ABLATION_LABELS = {
  shipped: 'nothing: Stockade as shipped, started fresh like the copies',
  'no-session-layer': 'no session layer on who-am-I (no cookie, lookup, access check, shops, body: the answer remembered)',
  'no-validate': 'session lookup answered from a Map by the raw token (no shape check, SHA-256, cache, lifetimes)',
  'no-token-hash': "the token's SHA-256 remembered (the rest of the lookup runs)",
  'no-metrics': 'no latency histogram observation',
  'no-hygiene': 'no request-hygiene checks',
};

/**
 * Makes one patched copy of `root` (which holds dist/, package.json, node_modules) per ablation under
 * `dir`; returns [{ name, root }].
 */
export function prepareAblations(root, dir) {
  rmSync(dir, { recursive: true, force: true });
  const out = [];
  for (const [name, patches] of Object.entries(ABLATIONS)) {
    const copy = join(dir, name);
    mkdirSync(copy, { recursive: true });
    cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    for (const [file, find, replace] of patches) {
      const path = join(copy, 'dist', file);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(find)) throw new Error(`ablation ${name}: ${file} no longer contains the text it replaces:\n${find}`);
      writeFileSync(path, text.replace(find, replace));
    }
    out.push({ name, root: copy });
  }
  return out;
}
