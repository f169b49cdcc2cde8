/** Domain objects wired to a fresh dynalite table and fresh local keys, with a controllable clock. */
import { Lockout } from '../../lambdas/domain/lockout';
import { Orders } from '../../lambdas/domain/orders';
import { PasswordHasher } from '../../lambdas/domain/passwords';
import { RefreshTokens } from '../../lambdas/domain/refresh-tokens';
import { Registration } from '../../lambdas/domain/registration';
import { Login, Sessions, type MfaRequired, type TokenPair } from '../../lambdas/domain/sessions';
import { Users } from '../../lambdas/domain/users';
import { FileKeyStore } from '../../lambdas/keys/key-store';
import { ensureLocalKeys } from '../../lambdas/keys/local-keys';
import { AccessTokenIssuer } from '../../lambdas/tokens/access-tokens';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTable } from './environment';

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export const TOKEN_CONFIG = {
  issuer: 'wristband',
  audience: 'wristband-api',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 3600,
  refreshReuseIntervalSeconds: 10,
  clockToleranceSeconds: 5,
} as const;

export async function domain(options: { maxAttempts?: number; lockoutSeconds?: number; minLength?: number; reuseIntervalSeconds?: number } = {}) {
  const db = await createTestTable();
  const clock = testClock();
  const keysDir = join(mkdtempSync(join(tmpdir(), 'wristband-domain-')), 'keys');
  await ensureLocalKeys(keysDir);
  const hasher = new PasswordHasher(4);
  const users = new Users(db);
  const registration = new Registration(users, hasher, { minLength: options.minLength ?? 15 }, clock.now);
  const lockout = new Lockout(db, { maxAttempts: options.maxAttempts ?? 5, lockoutSeconds: options.lockoutSeconds ?? 900 }, clock.now);
  const refreshTokens = new RefreshTokens(db, { ...TOKEN_CONFIG, refreshReuseIntervalSeconds: options.reuseIntervalSeconds ?? TOKEN_CONFIG.refreshReuseIntervalSeconds }, clock.now);
  const issuer = new AccessTokenIssuer(new FileKeyStore(keysDir), TOKEN_CONFIG, 300, clock.now);
  const sessions = new Sessions(refreshTokens, issuer);
  const login = new Login(db, hasher, lockout, sessions);
  const orders = new Orders(db, users, clock.now);
  return { db, clock, keysDir, hasher, users, registration, lockout, refreshTokens, sessions, login, orders };
}

/** The token pair of a login that needed no second factor (fails the test otherwise). */
export function tokensOf(result: TokenPair | MfaRequired): TokenPair {
  if ('mfaRequired' in result) throw new Error('expected a token pair, got an MFA challenge');
  return result;
}
