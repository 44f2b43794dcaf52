/**
 * Layer rules for src/, checked by `npm run lint` (issue 12). A path names its layer; these rules keep
 * imports running down the layers, so a domain module never learns about HTTP and a helper never
 * learns about the domain. From the top:
 *
 *   main.ts, cli.ts, app.ts        process entries and the HTTP app (may import anything)
 *   http/                          Fastify plugins and routes (the only layer that knows Fastify)
 *   wiring/                        the composition root: builds every store and service from config
 *   jobs/, privacy/                use-cases over several domain layers
 *   auth/, sessions/, inventory/,  the domain
 *   shops/
 *   observability/, redis/, db/    infrastructure
 *   lib/, config.ts, errors.ts     pure helpers used by every layer
 *
 * `errors.ts` and `config.ts` stay at the top of src/ but import nothing of ours but lib/.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and the layers meaningless: split the shared part out.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve is an import it cannot check (and usually a typo).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-http-below-http',
      severity: 'error',
      comment: 'Only the HTTP layer (and app.ts, main.ts above it) may import http/: the domain must not know it is served over HTTP.',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/(app|main)\\.ts$'] },
      to: { path: '^src/http/' },
    },
    {
      name: 'no-fastify-below-http',
      severity: 'error',
      comment: 'Fastify is the HTTP layer\'s business: below it, take plain values (or pino\'s logger type).',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/(app|main)\\.ts$'] },
      to: { path: '(^|/)node_modules/(fastify|@fastify/[^/]+|fastify-plugin)/' },
    },
    {
      name: 'no-wiring-below-entries',
      severity: 'error',
      comment: 'The composition root is used by entries (main, cli, app) and by http/ for the AppDeps type only; no domain module may reach it.',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/wiring/', '^src/(app|main|cli)\\.ts$'] },
      to: { path: '^src/wiring/' },
    },
    {
      name: 'lib-is-pure',
      severity: 'error',
      comment: 'lib/ holds helpers every layer may use: it imports only lib/ (and Node built-ins).',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'lib-no-packages',
      severity: 'error',
      comment: 'lib/ holds pure helpers: Node built-ins only, no npm packages.',
      from: { path: '^src/lib/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'db-below-domain',
      severity: 'error',
      comment: 'db/ is under every domain layer: it imports only itself, lib/ and errors.ts.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', '^src/lib/', '^src/errors\\.ts$'] },
    },
    {
      name: 'redis-below-domain',
      severity: 'error',
      comment: 'redis/ (client, breaker, scripts) is infrastructure: it imports only itself and lib/.',
      from: { path: '^src/redis/' },
      to: { path: '^src/', pathNot: ['^src/redis/', '^src/lib/'] },
    },
    {
      name: 'observability-below-domain',
      severity: 'error',
      comment: 'observability/ (metrics, logger) is used by the domain layers, so it must not import them (db/ for the instrumented Db only).',
      from: { path: '^src/observability/' },
      to: { path: '^src/', pathNot: ['^src/observability/', '^src/lib/', '^src/db/', '^src/config\\.ts$'] },
    },
    {
      name: 'shared-top-files-are-leaves',
      severity: 'error',
      comment: 'errors.ts and config.ts are read by every layer: they import only lib/.',
      from: { path: '^src/(errors|config)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'domain-not-up',
      severity: 'error',
      comment: 'auth/, sessions/, inventory/ do not import the use-case layers above them (jobs/, privacy/).',
      from: { path: '^src/(auth|sessions|inventory|shops)/' },
      to: { path: '^src/(jobs|privacy)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '\\.txt$' },
  },
};
