/**
 * Sign-in challenges: what `POST /login` answers instead of tokens for an
 * account with a second factor, and what `POST /login/mfa` redeems.
 *
 * A challenge is 256 random bits, handed to the client once and stored only
 * as its SHA-256 (`MFACH#<hash>`), with the user id, the email and a
 * fingerprint of the password hash the login just checked. It is:
 * - short-lived: `TOTP.challengeSeconds` (5 minutes), decided here, not by
 *   the table's lazy TTL;
 * - bound to that account and that password check: redeeming it rereads the
 *   account, and a changed password (or a deleted and re-registered email)
 *   voids it;
 * - single use: redeeming deletes it with a conditional write, so of two
 *   concurrent redemptions one wins. Wrong codes do not use it up (a typo is
 *   not a new login); they spend the email's lockout budget instead.
 * Lives in its own module so that login's bundle carries no TOTP code.
 */
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { getN, getS, isConditionalCheckFailure, ITEM_PRESENT, keyOf, N, names, putNew, S, type Db } from '../edge/dynamo';
import { TOTP } from '../contract/settings';
import { keys, TABLE } from '../contract/table-schema';
import type { Account } from './users';

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export interface PendingChallenge {
  readonly userId: string;
  readonly email: string;
  readonly passwordFingerprint: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What binds a challenge to the password check that earned it: the hash it was checked against, hashed again. */
export function passwordFingerprint(account: Pick<Account, 'passwordHash'>): string {
  return sha256(`wristband mfa challenge v1\n${account.passwordHash}`);
}

/** Whether the account still has the password the challenge's login checked (constant time). */
export function sameFingerprint(challenge: PendingChallenge, account: Pick<Account, 'passwordHash'>): boolean {
  const a = Buffer.from(challenge.passwordFingerprint);
  const b = Buffer.from(passwordFingerprint(account));
  return a.length === b.length && timingSafeEqual(a, b);
}

export class MfaChallenges {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A new challenge for an account whose password was just checked. */
  async issue(account: Account): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    await putNew(this.db, {
      ...keyOf(keys.mfaChallenge(sha256(challenge))),
      userId: S(account.id),
      email: S(account.email),
      passwordFingerprint: S(passwordFingerprint(account)),
      [TABLE.ttlAttribute]: N(Math.floor(this.now() / 1000) + TOTP.challengeSeconds),
    });
    return challenge;
  }

  /** The challenge as stored, if it exists and has not expired; nothing is used up. */
  async peek(challenge: string): Promise<PendingChallenge | undefined> {
    if (!CHALLENGE.test(challenge)) return undefined;
    const out = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.mfaChallenge(sha256(challenge))), ConsistentRead: true }),
    );
    const userId = getS(out.Item, 'userId');
    const email = getS(out.Item, 'email');
    const fingerprint = getS(out.Item, 'passwordFingerprint');
    const expiresAt = getN(out.Item, TABLE.ttlAttribute);
    if (!userId || !email || !fingerprint || expiresAt === undefined || expiresAt <= this.now() / 1000) return undefined;
    return { userId, email, passwordFingerprint: fingerprint };
  }

  /** Uses the challenge up; false when another request did first (or it is gone). */
  async redeem(challenge: string): Promise<boolean> {
    try {
      await this.db.client.send(
        new DeleteItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.mfaChallenge(sha256(challenge))),
          ConditionExpression: `${ITEM_PRESENT} AND #ttl > :now`,
          ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
          ExpressionAttributeValues: { ':now': N(Math.floor(this.now() / 1000)) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}
