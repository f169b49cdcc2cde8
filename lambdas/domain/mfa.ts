/**
 * TOTP as a second factor: enrolment, confirmation, turning it off, and the
 * second step of sign-in. The secret lives in its own item (`TOTP#<userId>`),
 * sealed with AES-256-GCM (totp.ts `SecretBox`, key material from
 * lambdas/keys/totp-key.ts); the account item carries only the flag
 * `mfa = totp` that login reads in the batch it already makes.
 *
 * Every code check that could be a guess (sign-in, turning it off) is
 * reserved in the email's lockout budget first (Lockout.reserve), the same
 * budget as passwords. A code is accepted once: its time step is stored
 * with a conditional write that only moves forward, so a replay within its
 * step (or an older code) fails, however many arrive at once. Recovery codes
 * are stored as keyed hashes and removed, conditionally, when used.
 */
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { batchGetConsistent, getN, getS, isConditionalCheckFailure, ITEM_PRESENT, keyOf, N, names, S, type Db, type Item } from '../edge/dynamo';
import { ForbiddenError, InvalidCodeError, InvalidTokenError, NotFoundError, ServiceUnavailableError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { TOTP } from '../contract/settings';
import { keys } from '../contract/table-schema';
import type { TotpKeySource } from '../keys/totp-key';
import type { Lockout } from './lockout';
import { sameFingerprint, type MfaChallenges } from './mfa-challenges';
import type { PasswordCheck } from './session-controls';
import { includesHash, matchingStep, newRecoveryCode, newTotpSecret, otpauthUri, SecretBox } from './totp';
import { accountFromItem, type Account, type Users } from './users';

/** The second factor a sign-in step answers with: a current code, or one of the recovery codes. */
export type SecondFactor = { readonly code: string } | { readonly recoveryCode: string };

export interface Enrolment {
  readonly secret: string;
  readonly otpauthUri: string;
}

interface TotpState {
  readonly secret: string | undefined;
  readonly sealedSecret: string | undefined;
  readonly recoveryHashes: readonly string[];
  readonly lastStep: number | undefined;
}

export class Mfa {
  private box: Promise<SecretBox> | undefined;

  constructor(
    private readonly db: Db,
    private readonly users: Users,
    private readonly lockout: Lockout,
    private readonly keySource: TotpKeySource,
    /** The issuer an authenticator app shows next to the account (TOKEN_ISSUER). */
    private readonly issuer: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * A new secret, stored pending: nothing changes for sign-in until it is
   * confirmed. Replacing a factor already active needs a session that signed
   * in with it (`otp` in the caller's amr): a stolen password alone cannot
   * swap the victim's authenticator for the thief's.
   */
  async enrol(userId: string, callerAmr: readonly string[]): Promise<Enrolment> {
    const account = await this.accountOf(userId);
    if (account.mfa && !callerAmr.includes('otp')) {
      throw new ForbiddenError('replace_needs_otp', 'Replacing an active authenticator needs a session signed in with a code: log in with your current code first.');
    }
    const secret = newTotpSecret();
    const box = await this.secretBox();
    await this.update(userId, {
      UpdateExpression: 'SET pendingSecret = :pending, pendingAt = :at',
      ExpressionAttributeValues: { ':pending': S(box.seal(secret, userId)), ':at': S(new Date(this.now()).toISOString()) },
    });
    return { secret, otpauthUri: otpauthUri(secret, account.email, this.issuer) };
  }

  /**
   * Activates the pending secret with a code from it, and answers ten new
   * recovery codes (shown this once; stored as keyed hashes). Not counted
   * in the lockout: the caller already holds the pending secret, so there
   * is nothing to guess. The code's step is stored, so it cannot sign in too.
   */
  async confirm(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const account = await this.accountOf(userId);
    const [item] = await batchGetConsistent(this.db, [keys.totp(userId)]);
    const box = await this.secretBox();
    const sealedPending = getS(item, 'pendingSecret');
    const pending = sealedPending === undefined ? undefined : box.open(sealedPending, userId);
    if (!sealedPending || !pending) throw new NotFoundError('No authenticator is waiting for confirmation: start with POST /api/mfa/totp.');
    const step = matchingStep(pending, code, this.now());
    if (step === undefined) throw new InvalidCodeError('wrong_code');
    const recoveryCodes = Array.from({ length: TOTP.recoveryCodes }, newRecoveryCode);
    try {
      await this.update(userId, {
        UpdateExpression: 'SET secret = :secret, recoveryCodes = :hashes, lastStep = :step, enabledAt = :at REMOVE pendingSecret, pendingAt',
        // Exactly the pending secret this code was checked against: a concurrent re-enrolment wins, this one fails.
        ConditionExpression: 'pendingSecret = :pending',
        ExpressionAttributeValues: {
          ':secret': S(sealedPending),
          ':hashes': { SS: recoveryCodes.map((c) => box.recoveryHash(c)) },
          ':step': N(step),
          ':at': S(new Date(this.now()).toISOString()),
          ':pending': S(sealedPending),
        },
      });
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new NotFoundError('No authenticator is waiting for confirmation: start with POST /api/mfa/totp.');
      throw error;
    }
    // After the secret: a flag without an active secret would lock the user out of sign-in.
    await this.setAccountFlag(account, true);
    logger.info('totp enabled', { userId });
    return { recoveryCodes };
  }

  /** Turns TOTP off: the password and a current code (or a recovery code), each under the lockout rules. */
  async disable(userId: string, password: string, factor: SecondFactor, passwordCheck: PasswordCheck): Promise<void> {
    const account = await this.accountOf(userId);
    const [item] = await batchGetConsistent(this.db, [keys.totp(userId)]);
    if (!account.mfa || !getS(item, 'secret')) throw new NotFoundError('No authenticator is enabled.');
    await passwordCheck.verify(account, password);
    const ok = await this.lockout.guard(account.email, () => this.useFactor(userId, item, factor));
    if (!ok) throw new InvalidCodeError('wrong_code');
    // The flag first: once it is gone sign-in no longer asks for a code, and a leftover secret item is harmless.
    await this.setAccountFlag(account, false);
    await this.db.client.send(new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.totp(userId)) }));
    logger.info('totp disabled', { userId });
  }

  /**
   * The second step of sign-in: redeems the challenge with a code and
   * answers the account to open a session for. The code is checked only
   * inside the email's lockout budget; a wrong one keeps its slot.
   *
   * @throws InvalidTokenError (401) for an unknown, expired, used or outdated challenge: log in again.
   * @throws InvalidCodeError (401) for a wrong or replayed code; TooManyAttemptsError (429) when locked.
   */
  async completeSignIn(challenges: MfaChallenges, challenge: string, factor: SecondFactor): Promise<Account> {
    const pending = await challenges.peek(challenge);
    if (!pending) throw new InvalidTokenError('mfa_challenge_unknown');
    const [accountItem, totpItem, lockItem] = await batchGetConsistent(this.db, [
      keys.account(pending.email),
      keys.totp(pending.userId),
      keys.lockout(pending.email),
    ]);
    const account = accountFromItem(accountItem);
    // Deleted, re-registered, or the password changed since that login: the challenge stands for nothing now.
    if (!account || account.id !== pending.userId || !sameFingerprint(pending, account)) throw new InvalidTokenError('mfa_challenge_outdated');
    const attempt = await this.lockout.reserve(pending.email, { item: lockItem });
    let ok = false;
    try {
      ok = await this.useFactor(account.id, totpItem, factor);
    } finally {
      if (!ok) attempt.failed();
    }
    if (!ok) throw new InvalidCodeError('wrong_code');
    if (!(await challenges.redeem(challenge))) {
      // A concurrent redemption won; this code is spent all the same (no replay), and the slot goes back.
      await attempt.succeeded();
      throw new InvalidTokenError('mfa_challenge_used');
    }
    await attempt.succeeded();
    return account;
  }

  /** Checks and uses up a code or recovery code: true once per code, however many requests carry it at once. */
  private async useFactor(userId: string, item: Item | undefined, factor: SecondFactor): Promise<boolean> {
    const state = await this.stateOf(userId, item);
    if (!state.secret || !state.sealedSecret) return false;
    if ('code' in factor) {
      const step = matchingStep(state.secret, factor.code, this.now());
      if (step === undefined) return false;
      if (state.lastStep !== undefined && step <= state.lastStep) {
        logger.info('totp code replayed', { userId });
        return false;
      }
      return this.conditionally(userId, {
        UpdateExpression: 'SET lastStep = :step',
        ConditionExpression: 'secret = :secret AND (attribute_not_exists(lastStep) OR lastStep < :step)',
        ExpressionAttributeValues: { ':step': N(step), ':secret': S(state.sealedSecret) },
      });
    }
    const hash = (await this.secretBox()).recoveryHash(factor.recoveryCode);
    if (!includesHash(state.recoveryHashes, hash)) return false;
    const used = await this.conditionally(userId, {
      UpdateExpression: 'DELETE recoveryCodes :hash',
      ConditionExpression: 'contains(recoveryCodes, :one)',
      ExpressionAttributeValues: { ':hash': { SS: [hash] }, ':one': S(hash) },
    });
    if (used) logger.info('recovery code used', { userId, left: state.recoveryHashes.length - 1 });
    return used;
  }

  private async stateOf(userId: string, item: Item | undefined): Promise<TotpState> {
    const sealedSecret = getS(item, 'secret');
    const secret = sealedSecret === undefined ? undefined : (await this.secretBox()).open(sealedSecret, userId);
    if (sealedSecret !== undefined && secret === undefined) logger.error('totp secret does not decrypt with the current key', { userId });
    return {
      secret,
      sealedSecret,
      recoveryHashes: item?.recoveryCodes?.SS ?? [],
      lastStep: getN(item, 'lastStep'),
    };
  }

  /** An update of the user's TOTP item under a condition; false when the condition did not hold. */
  private async conditionally(userId: string, input: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Item }): Promise<boolean> {
    try {
      await this.update(userId, input);
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async update(userId: string, input: { UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeValues: Item }): Promise<void> {
    await this.db.client.send(new UpdateItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.totp(userId)), ...input }));
  }

  private async setAccountFlag(account: Account, on: boolean): Promise<void> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.account(account.email)),
          UpdateExpression: on ? 'SET mfa = :totp' : 'REMOVE mfa',
          ConditionExpression: `${ITEM_PRESENT} AND userId = :id`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':id': S(account.id), ...(on ? { ':totp': S('totp') } : {}) },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new NotFoundError('No such user.');
      throw error;
    }
  }

  private async accountOf(userId: string): Promise<Account> {
    const account = await this.users.accountById(userId);
    if (!account) throw new NotFoundError('No such user.');
    return account;
  }

  /** Key material is read once per container (a cold start), and again only after a failed read. */
  private secretBox(): Promise<SecretBox> {
    this.box ??= this.keySource.load().then(
      (material) => new SecretBox(material),
      (error: unknown) => {
        this.box = undefined;
        throw error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError('totp key unreadable', error);
      },
    );
    return this.box;
  }
}
