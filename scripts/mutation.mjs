// npm run test:mutation [-- module ...] [-- --concurrency 1]: StrykerJS over each module in turn (stryker.config.mjs
// lists them). Arguments starting with `--` go to Stryker as they are, e.g. `--concurrency 1` on a shared machine.
import { spawnSync } from 'node:child_process';
import { MODULES } from '../stryker.config.mjs';

const args = process.argv.slice(2);
const strykerOptions = [];
const requested = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) {
    strykerOptions.push(args[i]);
    // `--option value` (not `--flag` followed by another option or module name known to us).
    if (!args[i].includes('=') && i + 1 < args.length && !args[i + 1].startsWith('--') && !(args[i + 1] in MODULES)) strykerOptions.push(args[++i]);
  } else requested.push(args[i]);
}
const names = requested.length > 0 ? requested : Object.keys(MODULES);
for (const name of names) {
  if (!(name in MODULES)) {
    console.error(`unknown module ${name}; modules: ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
}
let failed = false;
for (const name of names) {
  console.log(`\n== mutation testing: ${name} (${MODULES[name][0]})`);
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...strykerOptions], { stdio: 'inherit', env: { ...process.env, MUTATION_MODULE: name } });
  console.log(`== ${name}: ${Math.round((Date.now() - started) / 1000)} s`);
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
