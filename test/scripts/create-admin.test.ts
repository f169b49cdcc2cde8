/**
 * `npm run create-admin` as an operator runs it: a child process, the
 * password on stdin, the account in the table with role admin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
import { TOKEN_CONFIG } from '../support/domain';
import type { Db } from '../../lambdas/shared/dynamo';

const ROOT = join(__dirname, '..', '..');

function run(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], { cwd: ROOT, env: { ...process.env } });
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
  const pair = await login.login('root@example.com', password);
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
