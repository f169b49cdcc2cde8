/**
 * The local stack: the deployed stack's parts on one laptop, with no AWS
 * account and no Docker.
 *
 * - DynamoDB: dynalite (in-process, LevelDB under DATA_DIR/dynamodb), with
 *   the table created from the same schema the stack deploys.
 * - Keys: JSON files under DATA_DIR/keys, in the same formats as the
 *   deployed secret and parameter; created once and kept across restarts.
 * - API Gateway: LocalGateway, calling the same handler modules and the same
 *   authorizer the stack bundles.
 * - IAM: each handler's DynamoDB calls are checked against the item types
 *   its function is granted when deployed (local/table-grants.ts).
 */
import { roleConfig, type RoleConfig } from '../lambdas/contract/roles';
import dynalite from 'dynalite';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { PasswordHasher } from '../lambdas/domain/passwords';
import { Users } from '../lambdas/domain/users';
import { ensureLocalKeys } from '../lambdas/keys/local-keys';
import { passwordConfig, readSettings } from '../lambdas/contract/config';
import { createDb, type Db } from '../lambdas/edge/dynamo';
import { ROUTES } from '../lambdas/contract/routes';
import { MAIL_SETTINGS, WIRING_ENV } from '../lambdas/contract/settings';
import { checkDatabase, LOCAL_STACK_PID_FILE } from './data-dir';
import { ensureTable } from './table';
import { asFunction, enforceTableGrants, type TableAccessLog } from './table-grants';
import { LocalGateway, type AccessLogEntry, type ProxyHandler, type TokenAuthorizer } from './gateway';
import { rateLimiterFromEnv } from './rate-limit';
import { withDemoPage } from './static';
import { withLocalMailbox } from './mailbox';
import type { LocalApp, LocalRoute } from './app';
import { FUNCTION_SPECS } from '../lib/function-specs';
import type { FunctionName } from '../lambdas/contract/routes';

export const DEMO_ACCOUNTS = [
  { email: 'alice@example.com', password: 'alice-local-pass', role: 'user', name: 'Alice' },
  { email: 'admin@example.com', password: 'admin-local-pass', role: 'admin', name: 'Admin' },
] as const;

export const LOCAL_TABLE_NAME = 'wristband-local';
/** Under DATA_DIR: every mail the local stack "sends", as an .eml file. */
export const LOCAL_OUTBOX_DIR = 'outbox';
/** The local sender, unless MAIL_FROM says otherwise. */
export const LOCAL_MAIL_FROM = 'no-reply@wristband.localhost';
/** The page mail links open locally, unless APP_URL says otherwise: the demo page, which reads the token from the fragment. */
export const LOCAL_APP_PATH = '/demo/';
/** Request header bytes the local server accepts (Node's default is 16 KiB). */
/**
 * DynamoDB timeout of the local stack's handlers (DYNAMODB_TIMEOUT_MS overrides): deployed, a second is an outage and
 * answers 503; here dynalite shares the machine with the browser and the tests, and a busy second is only load.
 */
export const LOCAL_DYNAMO_TIMEOUT_MS = 10_000;

export const LOCAL_MAX_HEADER_BYTES = 256 * 1024;
/** Written under DATA_DIR while the stack runs. */
export const LOCAL_STACK_STATE_FILE = 'local-stack.json';

export interface LocalStackOptions {
  /** Where the database and keys live. Kept across restarts. */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  readonly onRequest?: (entry: AccessLogEntry) => void;
  /** What the user should know about their data (a damaged key file replaced); stderr by default. */
  readonly onNotice?: (line: string) => void;
  /**
   * The app to serve (local/app.ts: the routes and environment of a
   * Wristband construct); default: the demo's routes with the default roles.
   * Its environment fills in what the process environment does not set.
   */
  readonly app?: LocalApp;
}

export interface LocalStack {
  readonly url: string;
  readonly port: number;
  readonly dynamoEndpoint: string;
  readonly gateway: LocalGateway;
  /** Demo accounts created by this start (empty when the database already had users). */
  readonly seeded: readonly string[];
  /** The handlers' DynamoDB calls, per function, as their deployed grants judged them. */
  readonly tableAccess: TableAccessLog;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // Handlers read process.env at import, as in Lambda; the local stack adds its wiring to it.
  const env = process.env;
  for (const [key, value] of Object.entries(options.app?.environment ?? {})) env[key] ??= value;
  const settings = readSettings(env); // fails loudly on a bad value, before anything starts
  const rateLimiter = rateLimiterFromEnv(env);
  const dataDir = resolve(options.dataDir);
  await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
  await checkDatabase(dataDir, options.dataDir); // in use by another start, or damaged: one clear line instead of dynalite's trace
  const pidPath = join(dataDir, LOCAL_STACK_PID_FILE);
  await writeFile(pidPath, `${process.pid}\n`);

  const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(dynamo, 0, '127.0.0.1');
  const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;

  let started: Server | undefined;
  try {
    const keysDir = join(dataDir, 'keys');
    const notice = options.onNotice ?? ((line: string) => process.stderr.write(`${line}\n`));
    await ensureLocalKeys(keysDir, undefined, (line) => notice(`keys: ${line}`));

    // The handlers read their wiring from the environment at import, exactly as in Lambda.
    env[WIRING_ENV.tableName] = LOCAL_TABLE_NAME;
    env[WIRING_ENV.dynamoEndpoint] = dynamoEndpoint;
    env[WIRING_ENV.dynamoTimeoutMs] ??= String(LOCAL_DYNAMO_TIMEOUT_MS);
    env[WIRING_ENV.localKeysDir] = keysDir;
    env.AWS_REGION ??= 'local';

    // Listening before the handlers load: the mail links need this stack's URL (APP_URL), read at import like the rest.
    let listener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    // Node refuses headers over 16 KiB by itself: let larger ones reach the gateway, which refuses header values over
    // API Gateway's 10,240 bytes the way API Gateway does (local/aws-limits.ts).
    const server = createServer({ maxHeaderSize: LOCAL_MAX_HEADER_BYTES }, (req, res) => {
      if (listener) listener(req, res);
      else res.writeHead(503).end();
    });
    started = server;
    // Keep-alive sockets would hold `close()` open; the gateway answers quickly, so short is fine.
    server.keepAliveTimeout = 1000;
    await listen(server, options.port, options.host ?? '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    const url = `http://localhost:${port}`;
    // Mail goes to files under DATA_DIR/outbox, each announced on the console with its link (lambdas/mail/outbox-mailer.ts).
    env[WIRING_ENV.mailOutboxDir] = join(dataDir, LOCAL_OUTBOX_DIR);
    env[MAIL_SETTINGS.mailFrom.env] ??= LOCAL_MAIL_FROM;
    env[MAIL_SETTINGS.appUrl.env] ??= `${url}${LOCAL_APP_PATH}`;

    const db = createDb({ tableName: LOCAL_TABLE_NAME, endpoint: dynamoEndpoint, region: 'local', timeoutMs: LOCAL_DYNAMO_TIMEOUT_MS });
    await ensureTable(db);
    const seeded = await seedDemoAccounts(db, passwordConfig(env).bcryptCost, roleConfig(env));
    db.client.destroy();

    // Every handler's DynamoDB call is checked against its function's deployed grants (local/table-grants.ts).
    const { dbFromEnv } = await import('../lambdas/wiring/from-env');
    const tableAccess = enforceTableGrants(dbFromEnv());
    const routes: readonly LocalRoute[] = options.app?.routes ?? ROUTES;
    const handlers: Record<string, ProxyHandler> = {};
    for (const route of routes) {
      if (handlers[route.handler]) continue;
      if ('entry' in route && route.entry === undefined) {
        notice(`${route.method} ${route.path}: its function was not built by wristband (no entry), so it answers 502 here`);
        continue;
      }
      const handler = await loadHandler<ProxyHandler>(route.handler, 'entry' in route ? route.entry : undefined);
      // Functions FUNCTION_SPECS names get their deployed table grants enforced; an app's own functions have none to enforce.
      handlers[route.handler] =
        route.handler in FUNCTION_SPECS ? (event, context) => asFunction(route.handler as FunctionName, () => handler(event, context)) : handler;
    }
    const authorizer = await loadHandler<TokenAuthorizer>('authorizer');

    const gateway = new LocalGateway({
      handlers,
      routes,
      authorizer,
      authorizerCacheTtlSeconds: settings.authorizerCacheTtlSeconds,
      ...(rateLimiter ? { rateLimiter } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    // The demo page and the local mailbox sit in front of the gateway: neither is a route of the API.
    listener = withDemoPage(withLocalMailbox(join(dataDir, LOCAL_OUTBOX_DIR), gateway.listener));
    // Lets `npm run invoke` in another terminal find this stack's database and keys.
    const statePath = join(dataDir, LOCAL_STACK_STATE_FILE);
    await writeFile(statePath, JSON.stringify({ url, dynamoEndpoint, tableName: LOCAL_TABLE_NAME, keysDir, pid: process.pid }, null, 2));

    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      dynamoEndpoint,
      gateway,
      seeded,
      tableAccess,
      stop: () => {
        stopping ??= (async () => {
          server.closeIdleConnections();
          await close(server);
          await rm(statePath, { force: true });
          // dynalite closes its LevelDB store on close, flushing every write.
          await close(dynamo);
          await rm(pidPath, { force: true });
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (started) await close(started).catch(() => undefined);
    await close(dynamo).catch(() => undefined);
    await rm(pidPath, { force: true });
    throw error;
  }
}

async function loadHandler<T>(name: string, entry?: string): Promise<T> {
  const module = (await (entry ? import(entry) : import(`../lambdas/handlers/${name}`))) as { handler?: T };
  if (typeof module.handler !== 'function') throw new Error(`${entry ?? `lambdas/handlers/${name}.ts`} has no handler export`);
  return module.handler;
}

/** On an empty database only: the two demo accounts the contract names. */
/** The demo accounts, in the app's roles: alice gets what registration gives, the admin what create-admin gives. */
async function seedDemoAccounts(db: Db, bcryptCost: number, roles: RoleConfig): Promise<string[]> {
  const users = new Users(db);
  if ((await users.list({ limit: 1 })).users.length > 0) return [];
  const hasher = new PasswordHasher(bcryptCost);
  const created: string[] = [];
  for (const account of DEMO_ACCOUNTS) {
    // The demo passwords are known by design, so they skip the policy (which may be set stricter locally).
    await users.create(
      // Verified: the demo logs in whatever EMAIL_VERIFICATION says, and its tokens show `email_verified: true`.
      {
        email: account.email,
        role: account.role === 'admin' ? roles.createAdmin : roles.registration,
        name: account.name,
        passwordHash: await hasher.hash(account.password),
        emailVerified: true,
      },
      new Date().toISOString(),
    );
    created.push(account.email);
  }
  return created;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolvePromise, reject) => server.close((error) => (error ? reject(error) : resolvePromise())));
}
