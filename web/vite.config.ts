import { defineConfig } from 'vite';

/**
 * Builds the merchant app to web/dist, which the Stockade server serves at `/`.
 * Run from the repository root: `npx vite build web` (npm run build:web).
 *
 * Constraints from the page's CSP (`script-src 'self'; style-src 'self'`, default-src 'self'):
 * - nothing may be inlined: no data: URIs for assets (assetsInlineLimit 0), CSS in its own file;
 * - no modulepreload polyfill (it would be needless code; every supported browser has modulepreload).
 * JSX goes through Vite's own oxc transform with Preact's automatic runtime, so no Babel plugin.
 */
const API = process.env.STOCKADE_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npx vite web` during development: the API is the real server on its default port. The browser's
    // Origin is the dev server's, which the API's CSRF check would refuse, so the proxy presents the
    // API's own origin (development only; the built app is served by the API itself, same origin).
    proxy: {
      '/api': { target: API, changeOrigin: true, headers: { origin: API } },
    },
  },
});
