// `npm start`: build what is missing or stale (server, web app), then run the server in this process's
// place. Embedded PostgreSQL in ./data unless DATABASE_URL says otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
function webSourcesNewest() {
  const files = ['web/index.html', 'web/vite.config.ts'].filter((f) => existsSync(f));
  return Math.max(newest('web/src'), ...files.map((f) => statSync(f).mtimeMs));
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync('dist/src/main.js') || newest('src') > statSync('dist/src/main.js').mtimeMs) {
  run('npm', ['run', '-s', 'build']);
}
if (existsSync('web/index.html') && (!existsSync('web/dist/index.html') || webSourcesNewest() > statSync('web/dist/index.html').mtimeMs)) {
  run('npm', ['run', '-s', 'build:web']);
}
const server = spawnSync(process.execPath, ['dist/src/main.js'], { stdio: 'inherit' });
process.exit(server.status ?? 1);
