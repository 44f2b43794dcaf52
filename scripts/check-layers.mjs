#!/usr/bin/env node
// `npm run lint` (second half): the layer rules of .dependency-cruiser.cjs over src/ — no circular
// imports, no import that runs up the layers. Exits 1 and names each offending import.
//
// Why not the `depcruise` command: dependency-cruiser 18's CLI refuses to start on Node 20 (it asserts
// ^22 || ^24 || >=26), while Stockade supports Node >= 20.19 (package.json engines). Its programmatic
// `cruise` API does the same analysis and runs on Node 20, so this script calls that with the same
// configuration file the CLI would read (`npx depcruise src --config .dependency-cruiser.cjs` gives the
// same answer on Node 22+).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);
const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');

const result = await cruise(['src'], {
  ...config.options,
  validate: true,
  ruleSet: { forbidden: config.forbidden },
  outputType: 'err',
});
process.stdout.write(typeof result.output === 'string' ? result.output : JSON.stringify(result.output));
process.exitCode = result.exitCode === 0 ? 0 : 1;
