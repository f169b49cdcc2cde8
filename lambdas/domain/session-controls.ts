/**
 * Session controls: what a signed-in user (or an admin) can do about
 * sessions and credentials. A session is a refresh-token family
 * (refresh-tokens.ts); revoking it stops its refresh token at once, while
 * access tokens already issued stay valid until their `exp` (stateless by
 * design, 15 minutes by default).
 */
import type { PasswordConfig } from '../contract/config';
import { InvalidCredentialsError, NotFoundError, ValidationError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import type { Lockout } from './lockout';
import { passwordProblem, type PasswordHasher } from './passwords';
import type { RefreshTokens, SessionInfo } from './refresh-tokens';
import type { Sessions, TokenPair } from './sessions';
import type { AuthMethod } from '../tokens/access-token-verifier';
import type { Account, Users } from './users';

/**
 * Checks a signed-in user's password under the login lockout rules: the
 * same per-email budget, reserved before bcrypt runs (Lockout.reserve), so a
 * stolen access token cannot be used to guess the password faster than
 * login allows, however many requests it sends at once. A right password
 * gives its attempt back, as a successful login does.
 */
export class PasswordCheck {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly lockout: Lockout,
  ) {}

  /**
   * @throws TooManyAttemptsError (429) when the email's budget is spent: the password is not checked.
   * @throws InvalidCredentialsError (401) for a wrong password (the attempt stays counted).
   */
  async verify(account: Account, password: string): Promise<void> {
    const ok = await this.lockout.guard(account.email, () => this.hasher.verify(password, account.passwordHash));
    if (!ok) throw new InvalidCredentialsError('wrong_password');
  }
}

/** The caller's account, or 404: a deleted user's still-valid access token gets nothing. */
async function accountOf(users: Users, userId: string): Promise<Account> {
  const account = await users.accountById(userId);
  if (!account) throw new NotFoundError('No such user.');
  return account;
}

export class SessionControls {
  constructor(
    private readonly refreshTokens: RefreshTokens,
    private readonly users: Users,
  ) {}

  list(userId: string): Promise<SessionInfo[]> {
    return this.refreshTokens.sessionsOf(userId);
  }

  /** One of the caller's own sessions; another user's id is indistinguishable from an unknown one (404). */
  async revoke(userId: string, sessionId: string): Promise<void> {
    if (!(await this.refreshTokens.revokeSession(userId, sessionId))) throw new NotFoundError('No such session.');
    countMetric('sessionsRevoked');
  }

  /** Signs the user out everywhere. */
  async revokeAll(userId: string): Promise<void> {
    const count = await this.refreshTokens.revokeAllSessions(userId);
    logger.info('sessions revoked', { userId, count });
    countMetric('sessionsRevoked');
  }

  /** Admin: signs another user (or oneself) out everywhere; 404 for an unknown user. */
  async revokeAllOf(userId: string): Promise<void> {
    await accountOf(this.users, userId);
    await this.revokeAll(userId);
  }
}

export class PasswordChange {
  constructor(
    private readonly users: Users,
    private readonly hasher: PasswordHasher,
    private readonly check: PasswordCheck,
    private readonly refreshTokens: RefreshTokens,
    private readonly sessions: Sessions,
    private readonly config: Pick<PasswordConfig, 'minLength'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Checks the current password (lockout rules), stores the new one, revokes
   * every session of the user, and opens a new one for this client.
   * Sessions are revoked before the new hash is stored (if that write fails,
   * the old password still works and the change can simply be retried) and
   * again after it (a login with the old password in between is revoked too).
   */
  async change(userId: string, currentPassword: string, newPassword: string, client?: string, amr: readonly AuthMethod[] = ['pwd']): Promise<TokenPair> {
    const problem = passwordProblem(newPassword, this.config);
    if (problem) throw new ValidationError([{ field: 'newPassword', message: problem }]);
    const account = await accountOf(this.users, userId);
    await this.check.verify(account, currentPassword);
    const passwordHash = await this.hasher.hash(newPassword);
    await this.refreshTokens.revokeAllSessions(userId);
    await this.users.setPasswordHash(account, passwordHash, new Date(this.now()).toISOString());
    const revoked = await this.refreshTokens.revokeAllSessions(userId);
    logger.info('password changed: every session revoked', { userId, revoked });
    countMetric('passwordChanged');
    // The new session keeps how the caller's session signed in: a code-verified session stays code-verified.
    return this.sessions.open({ ...account, passwordHash }, client, amr);
  }
}

export class AccountDeletion {
  constructor(
    private readonly users: Users,
    private readonly check: PasswordCheck,
  ) {}

  /** The user deletes their own account, as an admin delete does: account, sessions and orders. */
  async deleteOwn(userId: string, password: string): Promise<void> {
    const account = await accountOf(this.users, userId);
    await this.check.verify(account, password);
    await this.users.delete(userId);
    logger.info('account deleted by its owner', { userId });
    countMetric('accountDeleted');
  }
}
