#!/usr/bin/env node
// Where the session layer's CPU goes, by ablation (bench/lib/ablations.mjs): CPU per "who am I" of the
// built server next to copies with one step switched off each and the same-work ceiling, interleaved in
// one run (bench/cpu.mjs). `npm run bench` runs the same measurement as its ablation phase, at the
// committed code; this is the tool for the working tree.
//
//   npm run build && node bench/ablate.mjs [rounds=5] [seconds=5]
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAblations } from './lib/ablations.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const rounds = process.argv[2] ?? '5';
const seconds = process.argv[3] ?? '5';
if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
  console.error('no build: run `npm run build` first');
  process.exit(2);
}
const copies = prepareAblations(ROOT, join(BENCH, '.work', 'ablate'));
const keys = ['fastify-same-work', ...copies.map((c) => `stockade-pg@${c.root}`)].join(',');
console.log(`node bench/cpu.mjs ${keys} ${rounds} ${seconds}`);
const run = spawnSync('node', [join(BENCH, 'cpu.mjs'), keys, rounds, seconds], { stdio: 'inherit' });
process.exit(run.status ?? 1);
