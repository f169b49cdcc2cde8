// npm run test:mutation [-- module ...]: StrykerJS over each module in turn (stryker.config.mjs lists them).
import { spawnSync } from 'node:child_process';
import { MODULES } from '../stryker.config.mjs';

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MODULES);
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
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { stdio: 'inherit', env: { ...process.env, MUTATION_MODULE: name } });
  console.log(`== ${name}: ${Math.round((Date.now() - started) / 1000)} s`);
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
