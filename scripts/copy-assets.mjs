// Copies the non-TypeScript files the server reads at run time (SQL migrations, word lists) next to the
// compiled JavaScript, so dist/ is self-contained.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ASSET = /\.(sql|txt|txt\.gz|json)$/;
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (ASSET.test(entry.name)) {
      const target = join('dist', path);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
walk('src');
