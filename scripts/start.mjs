// `npm start`: build what is missing or stale (server, web app), then run the server as a child that
// stands in for this process: SIGTERM, SIGINT and SIGHUP sent here (by npm, a container runtime or a
// service manager) are passed on, and this process exits as the server did. (It ran the server with
// spawnSync, which ignored signals: a SIGTERM to `npm start` left the server running.)
// Embedded PostgreSQL in ./data unless DATABASE_URL says otherwise.
import { spawn, spawnSync } from 'node:child_process';
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
const server = spawn(process.execPath, ['dist/src/main.js'], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  // Ctrl-C in a terminal reaches the whole process group, the server included; passing it on again is
  // harmless (the server's shutdown is idempotent) and covers a SIGINT sent to this process alone.
  process.on(signal, () => {
    if (server.exitCode === null && server.signalCode === null) server.kill(signal);
  });
}
server.once('error', (err) => {
  console.error(`could not start the server: ${err.message}`);
  process.exit(1);
});
server.once('exit', (code, signal) => {
  // Killed by a signal: die of the same one (default action), so our parent sees what happened.
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
