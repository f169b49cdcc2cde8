/**
 * Refresh tokens, in families. A login starts a family. Each token is 256
 * random bits, stored only as its SHA-256, and used once: using it marks it
 * used with a conditional write (so of two concurrent uses exactly one wins)
 * and stores the family's next token. Presenting a used token again is theft
 * or a replay: the whole family is revoked, its newest token included.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TokenConfig } from '../shared/config';
import { batchGetConsistent, batchWrite, getN, getS, isConditionalCheckFailure, ITEM_PRESENT, keyOf, N, names, putNew, S, type Db } from '../shared/dynamo';
import { InvalidTokenError } from '../shared/errors';
import { logger } from '../shared/logger';
import { countMetric } from '../shared/metrics';
import { LIMITS } from '../shared/settings';
import { keys, TABLE } from '../shared/table-schema';
import { accountFromItem, type Account } from './users';

const REFRESH_TOKEN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((LIMITS.refreshTokenBytes * 4) / 3)}}$`);

function newRefreshToken(): string {
  return randomBytes(LIMITS.refreshTokenBytes).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface StoredToken {
  readonly hash: string;
  readonly userId: string;
  readonly familyId: string;
  readonly email: string;
  readonly usedAt: number | undefined;
}

export class RefreshTokens {
  constructor(
    private readonly db: Db,
    private readonly config: Pick<TokenConfig, 'refreshTokenTtlSeconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts a family for a fresh login and returns its first token: both
   * items in one batch write (one SDK call, one round trip). Their keys are
   * new random ids, so they need no condition; if the batch fails, the
   * token is never handed out.
   */
  async start(account: Account): Promise<string> {
    const familyId = randomUUID();
    const token = newRefreshToken();
    const expiresAt = this.expiry();
    await batchWrite(this.db, [
      { PutRequest: { Item: { ...keyOf(keys.family(account.id, familyId)), [TABLE.ttlAttribute]: N(expiresAt) } } },
      { PutRequest: { Item: this.tokenItem(account, familyId, token, expiresAt) } },
    ]);
    return token;
  }

  /**
   * Uses a token: returns the (re-read) account and the family's next token.
   * A deleted user, a revoked family, an unknown, expired or used token: 401.
   */
  async rotate(raw: string): Promise<{ account: Account; refreshToken: string }> {
    const token = await this.read(raw);
    if (!token) throw new InvalidTokenError('unknown_refresh_token');
    if (token.usedAt !== undefined) await this.reuseDetected(token);

    const [familyItem, accountItem] = await batchGetConsistent(this.db, [keys.family(token.userId, token.familyId), keys.account(token.email)]);
    if (!familyItem || getN(familyItem, 'revokedAt') !== undefined) throw new InvalidTokenError('family_revoked');
    // Re-read the user: a deleted user gets nothing, a changed role shows in the new access token.
    const account = accountFromItem(accountItem);
    if (!account || account.id !== token.userId) throw new InvalidTokenError('user_gone');

    // The successor is written first: if anything below fails, the presented token is still unused and usable,
    // and the successor, which nobody received, is expired again: a failed rotation never leaves two usable tokens.
    const refreshToken = newRefreshToken();
    try {
      await this.put(account, token.familyId, refreshToken);
      await this.markUsed(token, refreshToken);
    } catch (error) {
      await this.expireQuietly(refreshToken);
      throw error;
    }
    return { account, refreshToken };
  }

  /** Marks the presented token used, naming its successor; losing that race to anyone else is reuse. */
  private async markUsed(token: StoredToken, successor: string): Promise<void> {
    const successorHash = hashToken(successor);
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.refreshToken(token.hash)),
          UpdateExpression: 'SET usedAt = :now, successor = :successor',
          ConditionExpression: `${ITEM_PRESENT} AND attribute_not_exists(usedAt)`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':now': N(this.nowSeconds()), ':successor': S(successorHash) },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // The SDK retries a write whose answer was lost: if the first try landed, the token names our successor.
      const out = await this.db.client.send(
        new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.refreshToken(token.hash)), ConsistentRead: true }),
      );
      if (getS(out.Item, 'successor') === successorHash) return;
      // Used by someone else between our read and our write: a replay race, handled as any reuse.
      await this.reuseDetected(token);
    }
  }

  /** Best effort: makes a token that was never handed out unusable (expired, so TTL removes it). */
  private async expireQuietly(raw: string): Promise<void> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.refreshToken(hashToken(raw))),
          UpdateExpression: 'SET #ttl = :past',
          ConditionExpression: ITEM_PRESENT,
          ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
          ExpressionAttributeValues: { ':past': N(0) },
        }),
      );
    } catch {
      // Not written at all, or DynamoDB is down: either way the token was never handed out.
    }
  }

  /** Revokes the token's family. Unknown, malformed or already revoked tokens are not an error. */
  async revoke(raw: string): Promise<void> {
    const token = await this.read(raw);
    if (token) await this.revokeFamily(token.userId, token.familyId);
  }

  private async reuseDetected(token: StoredToken): Promise<never> {
    await this.revokeFamily(token.userId, token.familyId);
    logger.warn('refresh token reuse: family revoked', { userId: token.userId, familyId: token.familyId });
    countMetric('refreshTokenReused');
    throw new InvalidTokenError('refresh_token_reused');
  }

  private tokenItem(account: Account, familyId: string, token: string, expiresAt: number) {
    return {
      ...keyOf(keys.refreshToken(hashToken(token))),
      userId: S(account.id),
      familyId: S(familyId),
      email: S(account.email),
      [TABLE.ttlAttribute]: N(expiresAt),
    };
  }

  /** Stores the family's next token and extends the family's life to match (refresh lifetimes slide). */
  private async put(account: Account, familyId: string, token: string): Promise<void> {
    const expiresAt = this.expiry();
    await Promise.all([
      putNew(this.db, this.tokenItem(account, familyId, token, expiresAt)),
      this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.family(account.id, familyId)),
          UpdateExpression: 'SET #ttl = :exp',
          ConditionExpression: ITEM_PRESENT,
          ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
          ExpressionAttributeValues: { ':exp': N(expiresAt) },
        }),
      ),
    ]).catch((error: unknown) => {
      if (isConditionalCheckFailure(error)) throw new InvalidTokenError('family_gone');
      throw error;
    });
  }

  private async read(raw: string): Promise<StoredToken | undefined> {
    if (!REFRESH_TOKEN.test(raw)) return undefined;
    const hash = hashToken(raw);
    const out = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.refreshToken(hash)), ConsistentRead: true }),
    );
    const userId = getS(out.Item, 'userId');
    const familyId = getS(out.Item, 'familyId');
    const email = getS(out.Item, 'email');
    const expiresAt = getN(out.Item, TABLE.ttlAttribute);
    // TTL deletion is lazy (hours to days): expiry is decided here, not by the item's presence.
    if (!userId || !familyId || !email || expiresAt === undefined || expiresAt <= this.nowSeconds()) return undefined;
    return { hash, userId, familyId, email, usedAt: getN(out.Item, 'usedAt') };
  }

  private async revokeFamily(userId: string, familyId: string): Promise<void> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.family(userId, familyId)),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: ITEM_PRESENT,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':now': N(this.nowSeconds()) },
        }),
      );
    } catch (error) {
      // No family (user deleted, or expired and gone): nothing left to revoke.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private expiry(): number {
    return this.nowSeconds() + this.config.refreshTokenTtlSeconds;
  }
}
