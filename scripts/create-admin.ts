/**
 * `npm run create-admin -- --email admin@example.com [--name "Ada"] --table <TableName output>`
 *
 * Creates the first admin of a deployed stack with the AWS credentials of
 * whoever runs it (the default credential chain: profile, SSO, env). The
 * password is read from a hidden prompt, or from the first line of stdin
 * when stdin is not a terminal; never from an argument, where it would land
 * in shell history and process listings. The account obeys the same
 * password policy and bcrypt cost as the deployed stack (read from
 * cdk.json's context, as `cdk deploy` reads them).
 *
 * `--local` instead targets the running local stack (DATA_DIR, default .data).
 */
import { roleConfig } from '../lambdas/contract/roles';
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../lib/config';
import { PasswordHasher } from '../lambdas/domain/passwords';
import { Registration } from '../lambdas/domain/registration';
import { Users, type User } from '../lambdas/domain/users';
import { readSettings } from '../lambdas/contract/config';
import { createDb } from '../lambdas/edge/dynamo';
import { WristbandError } from '../lambdas/contract/errors';
import { requireCdkJson } from '../local/cdk-json';
import { readLocalStack } from './invoke/environment';

const USAGE = `usage: npm run create-admin -- --email <email> [--name <name>] (--table <table name> [--region <region>] [--endpoint <url>] | --local)
  --table     the stack's TableName output; uses your AWS credentials (profile, SSO or environment)
  --endpoint  a DynamoDB-compatible endpoint instead of AWS (DynamoDB Local, dynalite)
  --local     the running local stack (npm start) under DATA_DIR
  The password is read from a prompt (or the first line of stdin); it is never an argument.`;

export interface AdminTarget {
  readonly tableName: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly bcryptCost: number;
  readonly passwordMinLength: number;
  /** The role to give: the configured `createAdminRole` (default admin). */
  readonly role?: string;
}

/** Creates an admin account through the same registration path as everyone else, with the create-admin role. */
export async function createAdmin(target: AdminTarget, input: { email: string; password: string; name?: string }): Promise<User> {
  const db = createDb({ tableName: target.tableName, region: target.region, endpoint: target.endpoint });
  try {
    const registration = new Registration(new Users(db), new PasswordHasher(target.bcryptCost), { minLength: target.passwordMinLength });
    return await registration.register(input, target.role ?? roleConfig().createAdmin);
  } finally {
    db.client.destroy();
  }
}

/** The deployed stack's settings, as `cdk deploy` resolves them from cdk.json. */
function deployedSettings(root: string): { bcryptCost: number; passwordMinLength: number; role: string } {
  const { context } = requireCdkJson(root);
  const config = resolveConfig({ context: (key) => context[key] });
  return { bcryptCost: config.settings.bcryptCost, passwordMinLength: config.settings.passwordMinLength, role: config.roles.createAdmin };
}

/** The running local stack, from the state file it writes under DATA_DIR (ignored when its process is gone). */
function localTarget(): AdminTarget {
  const dataDir = process.env.DATA_DIR || '.data';
  const { state, note } = readLocalStack(dataDir);
  if (!state) throw new Error(`the local stack is not running with DATA_DIR=${dataDir}${note ? ` (${note})` : ''}: start it with npm start, in another terminal`);
  const settings = readSettings(process.env);
  return { tableName: state.tableName, region: 'local', endpoint: state.dynamoEndpoint, bcryptCost: settings.bcryptCost, passwordMinLength: settings.passwordMinLength };
}

/**
 * The new account's password: at a terminal, asked twice without echo (a
 * typo would otherwise lock the admin out); otherwise the first line of
 * stdin. Throws for an empty password or two that differ.
 */
export async function readNewPassword(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, email: string, minLength: number): Promise<string> {
  const password = await readPassword(stdin, `Password for ${email} (at least ${minLength} characters): `, stderr);
  if (password === '') throw new Error(stdin.isTTY ? 'no password given' : 'no password given (the first line of stdin is empty)');
  if (!stdin.isTTY) return password;
  const again = await readPassword(stdin, 'The same password again: ', stderr);
  if (!sameSecret(password, again)) throw new Error('the two passwords differ');
  return password;
}

/** Constant-time, whatever the lengths: compares digests. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Reads one line without echoing it when stdin is a terminal. */
export async function readPassword(stdin: NodeJS.ReadStream, prompt: string, stderr: NodeJS.WriteStream): Promise<string> {
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) {
      data += chunk.toString();
      if (data.includes('\n')) break;
    }
    return data.split(/\r?\n/, 1)[0] ?? '';
  }
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') {
          finish();
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        local: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    // parseArgs refuses unknown options, --password among them.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!args.email || (!args.local && !args.table)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const withLocal = (['table', 'endpoint', 'region'] as const).filter((option) => args[option] !== undefined);
  if (args.local && withLocal.length > 0) {
    process.stderr.write(`--local uses the local stack's own table and endpoint: give --local or ${withLocal.map((o) => `--${o}`).join(' and ')}, not both\n${USAGE}\n`);
    return 2;
  }
  try {
    const target: AdminTarget = args.local
      ? localTarget()
      : {
          tableName: args.table as string,
          region: args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
          ...(args.endpoint ? { endpoint: args.endpoint } : {}),
          ...deployedSettings(join(__dirname, '..')),
        };
    const password = await readNewPassword(process.stdin, process.stderr, args.email, target.passwordMinLength);
    const user = await createAdmin(target, { email: args.email, password, ...(args.name ? { name: args.name } : {}) });
    process.stdout.write(`created admin ${user.email} (id ${user.id}) in ${target.tableName}\n`);
    return 0;
  } catch (error) {
    if (error instanceof WristbandError) {
      const details = 'details' in error ? (error as { details: { field: string; message: string }[] }).details : [];
      const lines = details.length > 0 ? details.map((d) => `  ${d.field}: ${d.message}`) : [`  ${error.message}`];
      process.stderr.write(`not created (${error.code}):\n${lines.join('\n')}\n`);
      return 1;
    }
    process.stderr.write(`not created: ${unreachable(error, args.local === true, args.endpoint) ?? (error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

/** A refused connection, said in the user's terms: which endpoint, and what is probably not running. */
function unreachable(error: unknown, local: boolean, endpoint: string | undefined): string | undefined {
  let code: unknown;
  for (let e = error as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined; e && typeof e === 'object'; e = e.cause as typeof e) {
    code = e.code ?? (Array.isArray(e.errors) ? (e.errors[0] as { code?: unknown } | undefined)?.code : undefined);
    if (code === 'ECONNREFUSED') break;
  }
  if (code !== 'ECONNREFUSED') return undefined;
  if (local) return `the local stack is not running (its DynamoDB refused the connection); start it with npm start, in another terminal`;
  return `nothing answers at ${endpoint ?? 'the DynamoDB endpoint'} (connection refused)`;
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
