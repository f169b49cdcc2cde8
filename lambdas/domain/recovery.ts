/**
 * Account recovery and email verification: links sent by mail, each
 * carrying one token.
 *
 * A token is 256 random bits, sent once (in the link) and stored only as its
 * SHA-256 (`RESET#<sha256>`, `VERIFY#<sha256>`, with the user it is for and
 * a TTL). Per account, a quota item (`MAILQ#<userId>`) counts the mails of
 * the current hour and names the one live reset token: reserving a mail is
 * one conditional update that fails at the limit (so a burst of requests
 * sends at most `recoveryMailsPerHour` mails), and the same write replaces
 * the live reset token, which is how a new request supersedes the last.
 * Spending a reset token is one conditional update that removes it from the
 * quota item only if it is still the live one: of any number of concurrent
 * resets with one token exactly one wins.
 *
 * `forgot` and `resend` answer the same whatever the email, and take at least
 * LIMITS.recoveryResponseFloorMs either way: an account costs reads, writes
 * and a mail that no account does not, and that difference must not show.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
import type { MailConfig, PasswordConfig } from '../contract/config';
import { getN, getS, isConditionalCheckFailure, ITEM_ABSENT, ITEM_PRESENT, keyOf, N, names, S, type Db } from '../edge/dynamo';
import { InvalidTokenError, ValidationError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import { LIMITS, LINK_PARAMETERS } from '../contract/settings';
import { keys, TABLE } from '../contract/table-schema';
import type { Mailer } from '../mail/mailer';
import { MAIL_TEMPLATES, renderMail } from '../mail/templates';
import { normalizeEmail } from './email';
import { passwordProblem, type PasswordHasher } from './passwords';
import type { RefreshTokens } from './refresh-tokens';
import type { Account, Users } from './users';

const MAIL_TOKEN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((LIMITS.mailTokenBytes * 4) / 3)}}$`);

export { FORGOT_PASSWORD_ANSWER, RESEND_VERIFICATION_ANSWER } from '../contract/recovery-answers';
export { LINK_PARAMETERS };

export type RecoveryConfig = Pick<
  MailConfig,
  'appUrl' | 'emailVerification' | 'passwordResetTtlSeconds' | 'emailVerificationTtlSeconds' | 'recoveryMailsPerHour'
>;

function newMailToken(): string {
  return randomBytes(LIMITS.mailTokenBytes).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The link a mail carries: the app's page, the token in the fragment (never sent to a server, never in an access log). */
export function mailLink(appUrl: string, parameter: string, token: string): string {
  return `${appUrl}#${parameter}=${token}`;
}

function invalidEmail(): ValidationError {
  return new ValidationError([{ field: 'email', message: `must be an email address of at most ${LIMITS.emailMaxLength} characters` }]);
}

/** A token as it was stored: for whom, until when. */
interface StoredMailToken {
  readonly userId: string;
  readonly email: string;
  readonly expiresAt: number;
}

/**
 * The per-account mail budget and the live reset token (the `MAILQ#` item).
 * `reserve` is the only way a mail gets sent.
 */
export class MailQuota {
  constructor(
    private readonly db: Db,
    private readonly config: Pick<RecoveryConfig, 'recoveryMailsPerHour' | 'passwordResetTtlSeconds' | 'emailVerificationTtlSeconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes one mail of the account's hourly budget; with `resetHash`, makes that token the account's live reset token
   * in the same write. False when the budget is spent (nothing is written then).
   */
  async reserve(userId: string, resetHash?: string): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const windowEnd = nowSeconds + LIMITS.recoveryMailWindowSeconds;
    // The item outlives its window and every token it names; the TTL only tidies up.
    const ttl = windowEnd + Math.max(this.config.passwordResetTtlSeconds, this.config.emailVerificationTtlSeconds);
    const reset = resetHash === undefined ? '' : ', resetHash = :reset';
    const values = { ':one': N(1), ':end': N(windowEnd), ':ttl': N(ttl), ':now': N(nowSeconds), ...(resetHash === undefined ? {} : { ':reset': S(resetHash) }) };
    const key = keyOf(keys.mailQuota(userId));
    // An increment in a live window (or a first mail), else, if the window is over, a new one. A lost race between
    // the two (someone else opened the new window) means one more increment; a full window means no mail.
    for (let round = 0; round < 2; round++) {
      const increment = await this.updateIf({
        Key: key,
        UpdateExpression: `ADD sent :one SET windowEndsAt = if_not_exists(windowEndsAt, :end), #ttl = :ttl${reset}`,
        ConditionExpression: `${ITEM_ABSENT} OR (windowEndsAt > :now AND sent < :max)`,
        ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
        ExpressionAttributeValues: { ...values, ':max': N(this.config.recoveryMailsPerHour) },
      });
      if (increment) return true;
      // Read before writing again: in a burst, every request but the first few finds the window full, with one read.
      const seen = await this.db.client.send(new GetItemCommand({ TableName: this.db.tableName, Key: key, ConsistentRead: true }));
      const end = getN(seen.Item, 'windowEndsAt');
      if (end !== undefined && end > nowSeconds && (getN(seen.Item, 'sent') ?? 0) >= this.config.recoveryMailsPerHour) return false;
      if (end === undefined || end > nowSeconds) continue;
      const restart = await this.updateIf({
        Key: key,
        UpdateExpression: `SET sent = :one, windowEndsAt = :end, #ttl = :ttl${reset}`,
        ConditionExpression: 'windowEndsAt <= :now',
        ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: values,
      });
      if (restart) return true;
    }
    return false;
  }

  /**
   * Spends `resetHash` if it is the account's live reset token: exactly one of any number of concurrent callers
   * gets true. A used, superseded or unknown token gets false.
   */
  async spendReset(userId: string, resetHash: string): Promise<boolean> {
    return this.updateIf({
      Key: keyOf(keys.mailQuota(userId)),
      UpdateExpression: 'REMOVE resetHash',
      ConditionExpression: 'resetHash = :reset',
      ExpressionAttributeValues: { ':reset': S(resetHash) },
    });
  }

  private async updateIf(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.db.client.send(new UpdateItemCommand({ TableName: this.db.tableName, ...input }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

/** The token items: one put per mail, one read per use, one delete after it. */
class MailTokenStore {
  constructor(
    private readonly db: Db,
    private readonly keyOfHash: (hash: string) => { pk: string; sk: string },
    private readonly now: () => number,
  ) {}

  async put(hash: string, account: Pick<Account, 'id' | 'email'>, ttlSeconds: number): Promise<void> {
    const expiresAt = Math.floor(this.now() / 1000) + ttlSeconds;
    await this.db.client.send(
      new PutItemCommand({
        TableName: this.db.tableName,
        Item: { ...keyOf(this.keyOfHash(hash)), userId: S(account.id), email: S(account.email), [TABLE.ttlAttribute]: N(expiresAt) },
      }),
    );
  }

  /** The token's record if it exists and has not expired (DynamoDB's TTL deletes late, so expiry is checked here). */
  async read(hash: string): Promise<StoredMailToken | undefined> {
    const out = await this.db.client.send(new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(this.keyOfHash(hash)), ConsistentRead: true }));
    const userId = getS(out.Item, 'userId');
    const email = getS(out.Item, 'email');
    const expiresAt = getN(out.Item, TABLE.ttlAttribute);
    if (!userId || !email || expiresAt === undefined || expiresAt <= this.now() / 1000) return undefined;
    return { userId, email, expiresAt };
  }

  /** Deletes the item; true only for the one caller whose delete removed it (single use). */
  async take(hash: string): Promise<boolean> {
    try {
      await this.db.client.send(
        new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(this.keyOfHash(hash)), ConditionExpression: ITEM_PRESENT, ExpressionAttributeNames: names() }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

/** Waits until `floorMs` have passed since `startedAt`: both answers of a uniform route take at least that long. */
async function atLeast<T>(floorMs: number, now: () => number, work: () => Promise<T>): Promise<T> {
  const startedAt = now();
  try {
    return await work();
  } finally {
    const left = startedAt + floorMs - now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
}

/**
 * Runs the part of a uniform route that only an existing account reaches; a failure there (DynamoDB, SES) is logged
 * and swallowed, so the answer stays the one an unknown email gets. The lookup before it may still fail with a 503:
 * that one fails alike for every email.
 */
async function quietly(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logger.error(`${what}: could not prepare the mail`, { error: String((error as Error)?.name ?? error) });
    countMetric('mailFailed');
  }
}

/** Sends a mail, or says why not; never throws (the routes that send answer the same whether a mail went out or not). */
async function deliver(mailer: Mailer | undefined, appUrl: string | undefined, what: string, compose: (appUrl: string) => Parameters<Mailer['send']>[0]): Promise<boolean> {
  if (!mailer || !appUrl) {
    logger.error(`${what}: mail is not configured (mailFrom and appUrl), nothing sent`);
    return false;
  }
  try {
    await mailer.send(compose(appUrl));
    return true;
  } catch (error) {
    // The error's name only: an SDK message may quote the request, link included.
    logger.error(`${what}: the mail could not be sent`, { error: String((error as Error)?.name ?? error) });
    countMetric('mailFailed');
    return false;
  }
}

export class PasswordRecovery {
  private readonly tokens: MailTokenStore;

  constructor(
    db: Db,
    private readonly users: Users,
    private readonly quota: MailQuota,
    private readonly mailer: Mailer | undefined,
    private readonly hasher: PasswordHasher,
    private readonly refreshTokens: RefreshTokens,
    private readonly config: RecoveryConfig & Pick<PasswordConfig, 'minLength'>,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new MailTokenStore(db, keys.resetToken, now);
  }

  /**
   * `POST /password/forgot`: for an existing account, within its hourly budget, a new reset token (superseding the
   * last) and a mail with its link. The same answer, in at least the same time, for every well-formed email.
   */
  async forgot(rawEmail: string): Promise<void> {
    const email = normalizeEmail(rawEmail);
    if (!email) throw invalidEmail();
    await atLeast(LIMITS.recoveryResponseFloorMs, this.now, async () => {
      const account = await this.users.accountByEmail(email);
      if (!account) {
        logger.info('password reset asked for an unknown email');
        return;
      }
      // From here on only an account gets this far: a failure must not answer differently from an unknown email.
      await quietly('password reset', () => this.sendReset(account));
    });
  }

  private async sendReset(account: Account): Promise<void> {
    const token = newMailToken();
    const hash = hashToken(token);
    // Budget first, so a request over the limit writes nothing else. Nobody holds the token before the mail goes
    // out, so the quota item may name it before its own item exists.
    if (!(await this.quota.reserve(account.id, hash))) {
      logger.warn('password reset: hourly mail limit reached, nothing sent', { userId: account.id });
      countMetric('recoveryMailLimited');
      return;
    }
    await this.tokens.put(hash, account, this.config.passwordResetTtlSeconds);
    const minutes = String(Math.max(1, Math.round(this.config.passwordResetTtlSeconds / 60)));
    const sent = await deliver(this.mailer, this.config.appUrl, 'password reset', (appUrl) =>
      renderMail(MAIL_TEMPLATES.passwordReset, account.email, { link: mailLink(appUrl, LINK_PARAMETERS.passwordReset, token), minutes }),
    );
    if (sent) {
      logger.info('password reset mail sent', { userId: account.id });
      countMetric('recoveryMailSent', 'password_reset');
    }
  }

  /**
   * `POST /password/reset`: the password policy first (a refused password spends nothing), then the token, then the
   * new hash. Every session of the user is revoked, before the new hash is stored and again after it, as a password
   * change does; the email counts as verified (the link reached its inbox).
   *
   * @throws ValidationError (400) for a password the policy refuses.
   * @throws InvalidTokenError (401) for a token that is malformed, unknown, expired, used or superseded.
   */
  async reset(token: string, newPassword: string): Promise<void> {
    const problem = passwordProblem(newPassword, this.config);
    if (problem) throw new ValidationError([{ field: 'newPassword', message: problem }]);
    if (!MAIL_TOKEN.test(token)) throw new InvalidTokenError('malformed_reset_token');
    const hash = hashToken(token);
    const stored = await this.tokens.read(hash);
    if (!stored) throw new InvalidTokenError('unknown_or_expired_reset_token');
    const account = await this.users.accountByEmail(stored.email);
    if (!account || account.id !== stored.userId) throw new InvalidTokenError('reset_token_for_deleted_account');
    // Hashed before the token is spent: the losers of a race spend nothing, and a slow hash cannot strand a spent token.
    const passwordHash = await this.hasher.hash(newPassword);
    if (!(await this.quota.spendReset(account.id, hash))) throw new InvalidTokenError('used_or_superseded_reset_token');
    await this.tokens.take(hash);
    await this.refreshTokens.revokeAllSessions(account.id);
    if (!(await this.users.resetPasswordHash(account.id, account.email, passwordHash, new Date(this.now()).toISOString()))) {
      throw new InvalidTokenError('reset_token_for_deleted_account');
    }
    const revoked = await this.refreshTokens.revokeAllSessions(account.id);
    logger.info('password reset: every session revoked', { userId: account.id, revoked });
    countMetric('passwordReset');
  }
}

export class EmailVerification {
  private readonly tokens: MailTokenStore;

  constructor(
    db: Db,
    private readonly users: Users,
    private readonly quota: MailQuota,
    private readonly mailer: Mailer | undefined,
    private readonly config: RecoveryConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new MailTokenStore(db, keys.verifyToken, now);
  }

  get enabled(): boolean {
    return this.config.emailVerification !== 'off';
  }

  /** A verification mail for a new (or still unverified) account, within its hourly budget. Never throws for mail trouble. */
  async send(account: Pick<Account, 'id' | 'email'>): Promise<void> {
    if (!this.enabled) return;
    if (!(await this.quota.reserve(account.id))) {
      logger.warn('email verification: hourly mail limit reached, nothing sent', { userId: account.id });
      countMetric('recoveryMailLimited');
      return;
    }
    const token = newMailToken();
    await this.tokens.put(hashToken(token), account, this.config.emailVerificationTtlSeconds);
    const hours = String(Math.max(1, Math.round(this.config.emailVerificationTtlSeconds / 3600)));
    const sent = await deliver(this.mailer, this.config.appUrl, 'email verification', (appUrl) =>
      renderMail(MAIL_TEMPLATES.emailVerification, account.email, { link: mailLink(appUrl, LINK_PARAMETERS.emailVerification, token), hours }),
    );
    if (sent) {
      logger.info('verification mail sent', { userId: account.id });
      countMetric('recoveryMailSent', 'email_verification');
    }
  }

  /** `POST /verify-email/resend`: a new mail for an unverified account; the same answer, in at least the same time, for any email. */
  async resend(rawEmail: string): Promise<void> {
    const email = normalizeEmail(rawEmail);
    if (!email) throw invalidEmail();
    await atLeast(LIMITS.recoveryResponseFloorMs, this.now, async () => {
      const account = await this.users.accountByEmail(email);
      if (!account || account.emailVerified) return;
      // Only an unverified account gets this far: a failure must not answer differently from an unknown email.
      await quietly('email verification', () => this.send(account));
    });
  }

  /**
   * `POST /verify-email`: marks the account verified and spends the token.
   * @throws InvalidTokenError (401) for a token that is malformed, unknown, expired or used, or whose account is gone.
   */
  async verify(token: string): Promise<void> {
    if (!MAIL_TOKEN.test(token)) throw new InvalidTokenError('malformed_verification_token');
    const hash = hashToken(token);
    const stored = await this.tokens.read(hash);
    if (!stored || !(await this.tokens.take(hash))) throw new InvalidTokenError('unknown_expired_or_used_verification_token');
    if (!(await this.users.markEmailVerified(stored.userId, stored.email))) throw new InvalidTokenError('verification_token_for_deleted_account');
    logger.info('email verified', { userId: stored.userId });
    countMetric('emailVerified');
  }
}
