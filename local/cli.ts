#!/usr/bin/env node
/**
 * The package's command (`npx wristband start`): the local stack for the
 * CDK app in the current directory, exactly what `npm start` runs in the
 * repository (local/main.ts), with the data directory under the app's
 * folder; `npx wristband invoke`: `npm run invoke` for that app. The app's own handler files are TypeScript, so tsx's loader is
 * registered first; wristband's own code is already compiled.
 */

const USAGE = [
  'usage: wristband <command>',
  '',
  '  start    the local stack for the CDK app in this directory (env: PORT, DATA_DIR and the settings in the README)',
  '  invoke   one function of this app with one event, as Lambda runs it (wristband invoke --help)',
  '  help     this text',
].join('\n');

function startLocalStack(): void {
  // The compiled local stack loads handler files with require(), so tsx's CommonJS hook is the one it needs. Plain
  // require: the package compiles to CommonJS, and tsx's subpath exports carry no types for that resolution.
  (require('tsx/cjs/api') as { register(): unknown }).register();
  // local/main.ts starts the stack when loaded, and handles its own signals and errors.
  require('./main');
}

/** `npm run invoke` (scripts/invoke/main.ts) for the CDK app in this directory: its cdk.out, its functions, its routes. */
function invoke(): void {
  // Before the SDK loads: its warning that future releases need Node 22 is noise here (the functions run on nodejs22.x).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { main } = require('../scripts/invoke/main') as typeof import('../scripts/invoke/main');
  void main(process.argv.slice(3), { app: process.cwd() }).then((code) => {
    process.exitCode = code;
  });
}

const command = process.argv[2];
if (command === 'start') {
  startLocalStack();
} else if (command === 'invoke') {
  invoke();
} else if (command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(`wristband: ${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}\n${USAGE}\n`);
  process.exitCode = 2;
}
