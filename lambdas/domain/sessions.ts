/**
 * Sessions: what login and refresh hand out (an access token and a refresh
 * token), and the login check itself.
 */
import { batchGetConsistent, type Db } from '../edge/dynamo';
import { EmailNotVerifiedError, InvalidCredentialsError, TooManyAttemptsError, ValidationError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import { LIMITS, type EmailVerificationMode } from '../contract/settings';
import { keys } from '../contract/table-schema';
import type { AccessTokenIssuer, AuthMethod } from '../tokens/access-tokens';
import { MfaChallenges } from './mfa-challenges';
import { normalizeEmail } from './email';
import type { Attempt, Lockout } from './lockout';
import type { PasswordHasher } from './passwords';
import type { RefreshTokens } from './refresh-tokens';
import { accountFromItem, type Account } from './users';

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

export class Sessions {
  constructor(
    private readonly refreshTokens: RefreshTokens,
    private readonly issuer: AccessTokenIssuer,
  ) {}

  /** A new session (a new refresh-token family) for an authenticated account; `client` describes it in the session list. */
  async open(account: Account, client?: string, amr: readonly AuthMethod[] = ['pwd']): Promise<TokenPair> {
    return this.pair(account, await this.refreshTokens.start(account, client, amr), amr);
  }

  /** Rotates the refresh token; the access token carries the account's current role. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const { account, refreshToken: next, amr } = await this.refreshTokens.rotate(refreshToken);
    const pair = await this.pair(account, next, amr);
    countMetric('tokenRefreshed');
    return pair;
  }

  private async pair(account: Account, refreshToken: string, amr: readonly AuthMethod[]): Promise<TokenPair> {
    const { accessToken, expiresIn } = await this.issuer.issue({ sub: account.id, role: account.role, amr, emailVerified: account.emailVerified === true });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn };
  }
}

/**
 * A coarse description of the client for the session list: the User-Agent
 * seen at login, printable ASCII only (it is shown back to the user), at
 * most 200 characters. Never a secret, never used for a decision.
 */
export function describeClient(userAgent: string | undefined): string | undefined {
  const printable = userAgent?.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  return printable ? printable.slice(0, LIMITS.clientDescriptionMaxLength) : undefined;
}

/** What POST /login answers for an account with a second factor: no tokens yet. */
export interface MfaRequired {
  readonly mfaRequired: true;
  readonly challenge: string;
}

export class Login {
  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly lockout: Lockout,
    private readonly sessions: Sessions,
    /** Accounts with a second factor get a challenge instead of tokens (POST /login/mfa redeems it). */
    private readonly challenges: MfaChallenges = new MfaChallenges(db),
    private readonly emailVerification: EmailVerificationMode = 'optional',
  ) {}

  /**
   * One DynamoDB round trip (account and lockout state in one batch), then
   * one conditional write that reserves this attempt, then bcrypt: a
   * password is only ever checked inside the lockout budget, however many
   * logins for the email run at once. An unknown email and a wrong password
   * take the same path (same calls, same bcrypt time), count towards the
   * same lockout, and fail with the same error.
   */
  async login(rawEmail: string, password: string, client?: string): Promise<TokenPair | MfaRequired> {
    const email = normalizeEmail(rawEmail);
    if (!email) throw new ValidationError([{ field: 'email', message: 'must be an email address of at most 254 characters' }]);
    const [accountItem, lockItem] = await batchGetConsistent(this.db, [keys.account(email), keys.lockout(email)]);
    let attempt: Attempt;
    try {
      attempt = await this.lockout.reserve(email, { item: lockItem });
    } catch (error) {
      if (error instanceof TooManyAttemptsError) countMetric('loginFailed', 'locked_out');
      // Whatever else went wrong (a 503), the password is not checked: no guess is judged without being counted.
      throw error;
    }

    const account = accountFromItem(accountItem);
    const ok = await this.hasher.verify(password, account?.passwordHash);
    if (!account || !ok) {
      const reason = account ? 'wrong_password' : 'unknown_email';
      countMetric('loginFailed', reason);
      attempt.failed();
      throw new InvalidCredentialsError(reason);
    }
    if (this.emailVerification === 'required' && !account.emailVerified) {
      // Only a caller who knows the password learns this: every other caller got the uniform 401 above.
      await attempt.succeeded();
      countMetric('loginFailed', 'email_not_verified');
      throw new EmailNotVerifiedError();
    }
    if (account.mfa) {
      // The password was right: its slot goes back, and the code is checked (and counted) by POST /login/mfa.
      const [challenge] = await Promise.all([this.challenges.issue(account), attempt.succeeded()]);
      logger.info('login: password accepted, second factor required', { userId: account.id });
      return { mfaRequired: true, challenge };
    }
    // After bcrypt, one more round trip: the session's writes and the attempt's give-back go out together.
    const [pair] = await Promise.all([this.sessions.open(account, client), attempt.succeeded()]);
    logger.info('login succeeded', { userId: account.id });
    countMetric('loginSucceeded');
    return pair;
  }
}
