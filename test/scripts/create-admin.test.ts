/**
 * `npm run create-admin` as an operator runs it: a child process, the
 * password on stdin, the account in the table with role admin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { readNewPassword } from '../../scripts/create-admin';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lockout } from '../../lambdas/domain/lockout';
import { PasswordHasher } from '../../lambdas/domain/passwords';
import { Login, Sessions } from '../../lambdas/domain/sessions';
import { RefreshTokens } from '../../lambdas/domain/refresh-tokens';
import { Users } from '../../lambdas/domain/users';
import { FileKeyStore } from '../../lambdas/keys/key-store';
import { ensureLocalKeys } from '../../lambdas/keys/local-keys';
import { AccessTokenIssuer } from '../../lambdas/tokens/access-tokens';
import { createTestTable, dynaliteEndpoint } from '../support/environment';
import { TOKEN_CONFIG, tokensOf } from '../support/domain';
import type { Db } from '../../lambdas/edge/dynamo';

const ROOT = join(__dirname, '..', '..');

function run(args: string[], stdin: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let db: Db;
beforeAll(async () => {
  db = await createTestTable();
});

it('creates an admin from a password on stdin, who can then log in as admin', async () => {
  const password = 'an-admin-passphrase-that-is-long';
  const result = await run(['--email', 'Root@Example.com', '--name', 'Root', '--table', db.tableName, '--endpoint', dynaliteEndpoint()], `${password}\n`);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/created admin root@example.com \(id [0-9a-f-]{36}\)/);
  expect(result.stdout).not.toContain(password);

  const users = new Users(db);
  const account = await users.accountByEmail('root@example.com');
  expect(account).toEqual(expect.objectContaining({ role: 'admin', name: 'Root' }));
  // Hashed at the deployed cost (11 unless cdk.json says otherwise), never below 10.
  expect(Number(account?.passwordHash.slice(4, 6))).toBeGreaterThanOrEqual(10);

  const dir = join(mkdtempSync(join(tmpdir(), 'wristband-admin-')), 'keys');
  await ensureLocalKeys(dir);
  const login = new Login(db, new PasswordHasher(4), new Lockout(db, { maxAttempts: 5, lockoutSeconds: 900 }), new Sessions(new RefreshTokens(db, TOKEN_CONFIG), new AccessTokenIssuer(new FileKeyStore(dir), TOKEN_CONFIG, 300)));
  const pair = tokensOf(await login.login('root@example.com', password));
  const claims = JSON.parse(Buffer.from(pair.accessToken.split('.')[1] as string, 'base64url').toString());
  expect(claims.role).toBe('admin');
}, 30_000);

it('refuses a password given as an argument', async () => {
  const result = await run(['--email', 'x@example.com', '--table', db.tableName, '--password', 'an-admin-passphrase-that-is-long'], '');
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/Unknown option '--password'/);
});

it('applies the password policy and says why', async () => {
  const result = await run(['--email', 'weak@example.com', '--table', db.tableName, '--endpoint', dynaliteEndpoint()], 'short\n');
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('password: must be at least 15 characters');
  expect(await new Users(db).accountByEmail('weak@example.com')).toBeUndefined();
});

it('refuses an email that already has an account', async () => {
  const args = ['--email', 'twice@example.com', '--table', db.tableName, '--endpoint', dynaliteEndpoint()];
  expect((await run(args, 'an-admin-passphrase-that-is-long\n')).code).toBe(0);
  const again = await run(args, 'an-admin-passphrase-that-is-long\n');
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('email_taken');
}, 30_000);

it('explains its usage when the table is missing', async () => {
  const result = await run(['--email', 'x@example.com'], '');
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('usage: npm run create-admin');
});

it('refuses --local with --table (or --endpoint): the local stack has its own', async () => {
  const result = await run(['--email', 'x@example.com', '--local', '--table', 'x'], 'an-admin-passphrase-that-is-long\n');
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^--local uses the local stack's own table and endpoint: give --local or --table, not both\n/);
});

it('says "no password given" for empty stdin, not the length rule', async () => {
  const result = await run(['--email', 'empty@example.com', '--table', db.tableName, '--endpoint', dynaliteEndpoint()], '');
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('not created: no password given (the first line of stdin is empty)\n');
});

describe('--local when the local stack is not running', () => {
  /** A port nothing listens on: the endpoint of a stack that was killed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  function stateFile(pid: number, port: number): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'wristband-admin-local-'));
    const state = { url: 'http://localhost:3000', dynamoEndpoint: `http://127.0.0.1:${port}`, tableName: 'wristband-local', keysDir: join(dataDir, 'keys'), pid };
    writeFileSync(join(dataDir, 'local-stack.json'), JSON.stringify(state));
    return dataDir;
  }

  it('says so, instead of connect ECONNREFUSED, when the stack was killed (its state file names a process that is gone)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    const dataDir = stateFile(gone, await closedPort());

    const result = await run(['--email', 'x@example.com', '--local'], 'an-admin-passphrase-that-is-long\n', { DATA_DIR: dataDir });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not created: the local stack is not running with DATA_DIR=${dataDir}`);
    expect(result.stderr).toContain(`names process ${gone}, which is gone`);
    expect(result.stderr).not.toContain('ECONNREFUSED');
  });

  it('says so when its DynamoDB refuses the connection', async () => {
    const dataDir = stateFile(process.pid, await closedPort());

    const result = await run(['--email', 'x@example.com', '--local'], 'an-admin-passphrase-that-is-long\n', { DATA_DIR: dataDir, BCRYPT_COST: '4' });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('not created: the local stack is not running (its DynamoDB refused the connection); start it with npm start, in another terminal\n');
  }, 30_000);
});

describe('the hidden prompt at a terminal', () => {
  /** A terminal as readPassword sees one: a TTY stream with raw mode, typed into key by key. */
  function terminal(...lines: string[]) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin }) as unknown as NodeJS.ReadStream & PassThrough;
    const written: string[] = [];
    const stderr = { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    // Typed once each prompt is up, as a person would.
    const type = () => {
      const next = lines.shift();
      if (next !== undefined) setImmediate(() => stdin.write(`${next}\r`));
    };
    (stderr as { write: (text: string) => boolean }).write = (text: string) => {
      written.push(text);
      if (text.endsWith(': ')) type();
      return true;
    };
    return { stdin, stderr, written };
  }

  it('asks twice and returns the password when both match', async () => {
    const { stdin, stderr, written } = terminal('an-admin-passphrase-that-is-long', 'an-admin-passphrase-that-is-long');
    await expect(readNewPassword(stdin, stderr, 'a@example.com', 15)).resolves.toBe('an-admin-passphrase-that-is-long');
    expect(written.filter((w) => w.endsWith(': '))).toEqual(['Password for a@example.com (at least 15 characters): ', 'The same password again: ']);
    expect(written.join('')).not.toContain('an-admin-passphrase');
  });

  it('refuses two passwords that differ, and an empty one', async () => {
    const differ = terminal('an-admin-passphrase-that-is-long', 'an-admin-passphrase-that-is-lonG');
    await expect(readNewPassword(differ.stdin, differ.stderr, 'a@example.com', 15)).rejects.toThrow('the two passwords differ');
    const empty = terminal('');
    await expect(readNewPassword(empty.stdin, empty.stderr, 'a@example.com', 15)).rejects.toThrow(/^no password given$/);
  });
});
