#!/usr/bin/env node
/**
 * The package's command (`npx wristband start`): the local stack for the
 * CDK app in the current directory, exactly what `npm start` runs in the
 * repository (local/main.ts), with the data directory under the app's
 * folder. The app's own handler files are TypeScript, so tsx's loader is
 * registered first; wristband's own code is already compiled.
 */

const USAGE = [
  'usage: wristband <command>',
  '',
  '  start    the local stack for the CDK app in this directory (env: PORT, DATA_DIR and the settings in the README)',
  '  help     this text',
].join('\n');

function startLocalStack(): void {
  // The compiled local stack loads handler files with require(), so tsx's CommonJS hook is the one it needs. Plain
  // require: the package compiles to CommonJS, and tsx's subpath exports carry no types for that resolution.
  (require('tsx/cjs/api') as { register(): unknown }).register();
  // local/main.ts starts the stack when loaded, and handles its own signals and errors.
  require('./main');
}

const command = process.argv[2];
if (command === 'start') {
  startLocalStack();
} else if (command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(`wristband: ${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}\n${USAGE}\n`);
  process.exitCode = 2;
}
