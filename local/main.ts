/**
 * `npm start`: the local stack on http://localhost:$PORT (default 3000),
 * data under $DATA_DIR (default .data). Ctrl-C or SIGTERM stops it cleanly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lambdas/contract/config';
import { localAppFromCdkJson } from './app';
import { PACKAGE_ROOT } from '../lib/package-root';
import { applyCdkContext } from './cdk-context';
import { requireCdkJson } from './cdk-json';
import { LOCAL_MAILBOX_PATH } from './mailbox';
import { DEMO_ACCOUNTS, LOCAL_OUTBOX_DIR, startLocalStack } from './stack';

/** Where the local stack listens: HOST (default 127.0.0.1, this machine only; 0.0.0.0 for every interface). */
function host(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return '127.0.0.1';
  const value = raw.trim();
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(value)) throw new ConfigError(`HOST must be a host name or an IP address, got ${JSON.stringify(raw)}`);
  return value;
}

function port(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  return value;
}

/** package.json's version: the one to cite in a bug report. */
const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<void> {
  // The SDK warns on Node 20 that future releases need Node 22. Deployed functions run on nodejs22.x; here it is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Pretty, human-readable logs unless told otherwise (Powertools' dev mode).
  process.env.POWERTOOLS_DEV ??= process.stdout.isTTY ? 'true' : 'false';
  // Metrics are EMF lines on stdout, for CloudWatch: noise between these lines. POWERTOOLS_METRICS_DISABLED=false shows them.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // Read once (local/cdk-json.ts): its settings, where the environment sets none (the values the deployed stack gets), and its app.
  const cdkJson = requireCdkJson(process.cwd());
  const fromCdkJson = applyCdkContext(process.env, cdkJson);
  const dataDir = process.env.DATA_DIR || '.data';
  const notice = (line: string) => process.stderr.write(`${line}\n`);
  // The CDK app cdk.json names, built here without bundling: its routes, roles and cdk.json settings (the environment overrides them).
  const app = await localAppFromCdkJson(cdkJson, notice);
  const stack = await startLocalStack({
    dataDir,
    app,
    // Loopback unless told otherwise: the demo accounts have published passwords.
    host: host(process.env.HOST),
    port: port(process.env.PORT),
    onRequest: (e) => process.stdout.write(`${new Date().toISOString()} ${e.method} ${e.path} -> ${e.status} (${e.ms} ms)\n`),
  });

  process.stdout.write(
    [
      '',
      `wristband ${VERSION} local stack listening on ${stack.url}`,
      `  data:     ${dataDir} (database and signing keys; kept across restarts)`,
      `  jwks:     ${stack.url}/.well-known/jwks.json`,
      `  mail:     ${join(dataDir, LOCAL_OUTBOX_DIR)} (every mail as an .eml file, announced here with its link)`,
      `  demo:     ${stack.url}/demo/ (the demo page, on wristband/client)`,
      `  mailbox:  ${stack.url}${LOCAL_MAILBOX_PATH} (the newest mails as JSON, for this machine only; the demo page lists them)`,
      ...(fromCdkJson.length > 0 ? [`  cdk.json: ${fromCdkJson.join(', ')}`] : []),
      '  demo accounts:',
      ...DEMO_ACCOUNTS.map((a) => `    ${a.email.padEnd(20)} ${a.password.padEnd(18)} role ${a.role}`),
      stack.seeded.length > 0 ? '  (created just now on an empty database)' : '  (created on the first start of this data directory)',
      '',
      `  try: curl -s -X POST ${stack.url}/login -H 'Content-Type: application/json' \\`,
      `         -d '{"email":"alice@example.com","password":"alice-local-pass"}'`,
      '',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  const shutdown = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping...\n`);
    stack.stop().then(
      () => {
        process.stdout.write('stopped; everything written is kept in the data directory.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // `npm start` runs us under npm and a shell; a supervisor that signals only npm takes both away without
  // passing the signal on. An orphan must not keep the port and the database open: stop as if signalled.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(orphanWatch);
      shutdown('parent process exited');
    }
  }, 500);
  orphanWatch.unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`wristband local stack failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
