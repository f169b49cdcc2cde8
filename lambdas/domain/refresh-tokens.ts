/**
 * Refresh tokens, in families. A login starts a family. Each token is 256
 * bits, stored only as its SHA-256, and used once: using it marks it used
 * with a conditional write (so of two concurrent uses exactly one wins) and
 * stores the family's next token.
 *
 * The refresh reuse interval (REFRESH_REUSE_INTERVAL_SECONDS): for that long
 * after a rotation, presenting the rotated token again answers the very same
 * successor, as long as that successor is still the family's live token. Two
 * tabs refreshing at once, or a client that lost the answer, stay signed in,
 * and the family keeps exactly one live token: nothing new is minted. Any
 * other use of a used token (after the interval, or an older ancestor whose
 * successor was itself used) is theft or a replay: the whole family is
 * revoked, its newest token included.
 *
 * To hand the same successor out again without storing it, the successor is
 * derived from its parent: HMAC-SHA256 keyed with the parent token, over a
 * random salt stored on the parent's item. Recomputing it needs both the
 * parent token (which only its holder has) and the salt (which only the
 * table has), so a table leak alone yields no usable token.
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RefreshTokenConfig } from '../contract/config';
import { batchGetConsistent, batchWrite, getN, getS, isConditionalCheckFailure, ITEM_PRESENT, keyOf, N, names, partitionPages, putNew, S, type Db } from '../edge/dynamo';
import { InvalidTokenError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import { LIMITS } from '../contract/settings';
import { keys, TABLE } from '../contract/table-schema';
import { accountFromItem, type Account } from './users';
import type { AuthMethod } from '../tokens/access-token-verifier';

/** Stored as one string (`pwd otp`); a token from before amr was stored signed in with a password only. */
function parseAmr(stored: string | undefined): AuthMethod[] {
  const methods = (stored ?? 'pwd').split(' ').filter((m): m is AuthMethod => m === 'pwd' || m === 'otp');
  return methods.length > 0 ? methods : ['pwd'];
}

const REFRESH_TOKEN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((LIMITS.refreshTokenBytes * 4) / 3)}}$`);
/** Domain separation for the successor derivation: the parent token keys nothing else. */
const SUCCESSOR_LABEL = 'wristband refresh successor v1';

function newRefreshToken(): string {
  return randomBytes(LIMITS.refreshTokenBytes).toString('base64url');
}

/** The successor of `parent` under `salt`: as unguessable as a random token to anyone missing either. */
function successorOf(parent: string, salt: Buffer): string {
  return createHmac('sha256', parent).update(SUCCESSOR_LABEL).update(salt).digest().subarray(0, LIMITS.refreshTokenBytes).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Session ids are family ids, user ids are user ids: UUIDs both. Anything else names nothing and is not worth a call. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A session as its owner sees it: a refresh-token family, described. */
export interface SessionInfo {
  readonly id: string;
  readonly createdAt: string;
  readonly lastUsedAt: string;
  /** The User-Agent seen at login, shortened. */
  readonly client?: string;
}

interface StoredToken {
  readonly hash: string;
  readonly userId: string;
  readonly familyId: string;
  readonly email: string;
  /** Epoch seconds, with milliseconds: the reuse interval is counted from here. */
  readonly usedAt: number | undefined;
  /** How the session signed in (RFC 8176 `amr`), carried to every token of the family. */
  readonly amr: readonly AuthMethod[];
  /** SHA-256 of the successor and the salt it was derived with (used tokens only). */
  readonly successor: string | undefined;
  readonly successorSalt: string | undefined;
}

export class RefreshTokens {
  constructor(
    private readonly db: Db,
    private readonly config: RefreshTokenConfig,
    // Read at each call (not bound at construction), so tests can move the clock of a running stack.
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Starts a family for a fresh login and returns its first token: both
   * items in one batch write (one SDK call, one round trip). Their keys are
   * new random ids, so they need no condition; if the batch fails, the
   * token is never handed out.
   */
  async start(account: Account, client: string | undefined, amr: readonly AuthMethod[]): Promise<string> {
    const familyId = randomUUID();
    const token = newRefreshToken();
    const expiresAt = this.expiry();
    const now = new Date(this.now()).toISOString();
    const family = {
      ...keyOf(keys.family(account.id, familyId)),
      [TABLE.ttlAttribute]: N(expiresAt),
      createdAt: S(now),
      lastUsedAt: S(now),
      ...(client ? { client: S(client) } : {}),
    };
    await batchWrite(this.db, [
      { PutRequest: { Item: family } },
      { PutRequest: { Item: this.tokenItem(account, familyId, token, expiresAt, amr) } },
    ]);
    return token;
  }

  /**
   * Uses a token: returns the (re-read) account and the family's next token.
   * A deleted user, a revoked family, an unknown or expired token: 401. A
   * used token: its successor within the reuse interval, else reuse (401,
   * family revoked).
   */
  async rotate(raw: string): Promise<{ account: Account; refreshToken: string; amr: readonly AuthMethod[] }> {
    const token = await this.read(raw);
    if (!token) throw new InvalidTokenError('unknown_refresh_token');
    if (token.usedAt !== undefined) return this.replay(raw, token);

    const [familyItem, accountItem] = await batchGetConsistent(this.db, [keys.family(token.userId, token.familyId), keys.account(token.email)]);
    if (!familyItem || getN(familyItem, 'revokedAt') !== undefined) throw new InvalidTokenError('family_revoked');
    // Re-read the user: a deleted user gets nothing, a changed role shows in the new access token.
    const account = accountFromItem(accountItem);
    if (!account || account.id !== token.userId) throw new InvalidTokenError('user_gone');

    // The successor is written first: if anything below fails, the presented token is still unused and usable,
    // and the successor, which nobody received, is expired again: a failed rotation never leaves two usable tokens.
    const salt = randomBytes(LIMITS.refreshTokenBytes);
    const refreshToken = successorOf(raw, salt);
    let winner: StoredToken | 'ours';
    try {
      await this.put(account, token.familyId, refreshToken, token.amr);
      winner = await this.markUsed(token, refreshToken, salt);
    } catch (error) {
      await this.expireQuietly(refreshToken);
      throw error;
    }
    if (winner === 'ours') return { account, refreshToken, amr: token.amr };
    // A concurrent rotation of the same token won: ours was never handed out, and the winner's is the one to share.
    await this.expireQuietly(refreshToken);
    return this.replay(raw, winner);
  }

  /**
   * A used token presented again. Within the interval, and while its
   * successor is still unused, the answer is that same successor (a fresh
   * access token goes with it); anything else is reuse.
   */
  private async replay(raw: string, token: StoredToken): Promise<{ account: Account; refreshToken: string; amr: readonly AuthMethod[] }> {
    const usedAtMs = (token.usedAt ?? 0) * 1000;
    const withinInterval = this.now() < usedAtMs + this.config.refreshReuseIntervalSeconds * 1000;
    if (!withinInterval || !token.successor || !token.successorSalt) return this.reuseDetected(token);
    const successor = successorOf(raw, Buffer.from(token.successorSalt, 'base64url'));
    if (!sameHash(hashToken(successor), token.successor)) return this.reuseDetected(token);

    const [successorItem, familyItem, accountItem] = await batchGetConsistent(this.db, [
      keys.refreshToken(token.successor),
      keys.family(token.userId, token.familyId),
      keys.account(token.email),
    ]);
    if (!familyItem || getN(familyItem, 'revokedAt') !== undefined) throw new InvalidTokenError('family_revoked');
    const next = this.parse(token.successor, successorItem);
    if (!next) throw new InvalidTokenError('unknown_refresh_token');
    // The successor moved on already: this token is an older ancestor of the live one, which the interval does not cover.
    if (next.usedAt !== undefined) return this.reuseDetected(token);
    const account = accountFromItem(accountItem);
    if (!account || account.id !== token.userId) throw new InvalidTokenError('user_gone');

    logger.info('refresh token replayed within the reuse interval: successor handed out again', { userId: token.userId, familyId: token.familyId });
    countMetric('refreshTokenReplayed');
    return { account, refreshToken: successor, amr: token.amr };
  }

  /**
   * Marks the presented token used, naming its successor and the salt it was derived with. Returns 'ours', or the
   * token as a concurrent rotation left it when that one won the race.
   */
  private async markUsed(token: StoredToken, successor: string, salt: Buffer): Promise<StoredToken | 'ours'> {
    const successorHash = hashToken(successor);
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.refreshToken(token.hash)),
          UpdateExpression: 'SET usedAt = :now, successor = :successor, successorSalt = :salt',
          ConditionExpression: `${ITEM_PRESENT} AND attribute_not_exists(usedAt)`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':now': N(this.now() / 1000), ':successor': S(successorHash), ':salt': S(salt.toString('base64url')) },
        }),
      );
      return 'ours';
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // The SDK retries a write whose answer was lost: if the first try landed, the token names our successor.
      const now = await this.readHash(token.hash);
      if (now?.successor === successorHash) return 'ours';
      if (!now || now.usedAt === undefined) throw new InvalidTokenError('unknown_refresh_token');
      return now;
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

  private tokenItem(account: Account, familyId: string, token: string, expiresAt: number, amr: readonly AuthMethod[]) {
    return {
      amr: S(amr.join(' ')),
      ...keyOf(keys.refreshToken(hashToken(token))),
      userId: S(account.id),
      familyId: S(familyId),
      email: S(account.email),
      [TABLE.ttlAttribute]: N(expiresAt),
    };
  }

  /** Stores the family's next token and extends the family's life to match (refresh lifetimes slide). */
  private async put(account: Account, familyId: string, token: string, amr: readonly AuthMethod[]): Promise<void> {
    const expiresAt = this.expiry();
    await Promise.all([
      putNew(this.db, this.tokenItem(account, familyId, token, expiresAt, amr)),
      this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.family(account.id, familyId)),
          UpdateExpression: 'SET #ttl = :exp, lastUsedAt = :now',
          ConditionExpression: ITEM_PRESENT,
          ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
          ExpressionAttributeValues: { ':exp': N(expiresAt), ':now': S(new Date(this.now()).toISOString()) },
        }),
      ),
    ]).catch((error: unknown) => {
      if (isConditionalCheckFailure(error)) throw new InvalidTokenError('family_gone');
      throw error;
    });
  }

  private async read(raw: string): Promise<StoredToken | undefined> {
    if (!REFRESH_TOKEN.test(raw)) return undefined;
    return this.readHash(hashToken(raw));
  }

  private async readHash(hash: string): Promise<StoredToken | undefined> {
    const out = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.refreshToken(hash)), ConsistentRead: true }),
    );
    return this.parse(hash, out.Item);
  }

  private parse(hash: string, item: Record<string, AttributeValue> | undefined): StoredToken | undefined {
    const userId = getS(item, 'userId');
    const familyId = getS(item, 'familyId');
    const email = getS(item, 'email');
    const expiresAt = getN(item, TABLE.ttlAttribute);
    // TTL deletion is lazy (hours to days): expiry is decided here, not by the item's presence.
    if (!userId || !familyId || !email || expiresAt === undefined || expiresAt <= this.nowSeconds()) return undefined;
    return {
      hash,
      userId,
      familyId,
      email,
      amr: parseAmr(getS(item, 'amr')),
      usedAt: getN(item, 'usedAt'),
      successor: getS(item, 'successor'),
      successorSalt: getS(item, 'successorSalt'),
    };
  }

  /** Revokes one family; false when there is no such family (never was, user deleted, or expired and gone). */
  private async revokeFamily(userId: string, familyId: string): Promise<boolean> {
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
      return true;
    } catch (error) {
      // No family (user deleted, or expired and gone): nothing left to revoke.
      if (!isConditionalCheckFailure(error)) throw error;
      return false;
    }
  }

  /** The user's live sessions (families neither revoked nor expired), newest first. Never a token or a hash. */
  async sessionsOf(userId: string): Promise<SessionInfo[]> {
    const nowSeconds = this.nowSeconds();
    const sessions: SessionInfo[] = [];
    for (const item of await this.familyItems(userId)) {
      const expiresAt = getN(item, TABLE.ttlAttribute);
      const id = getS(item, TABLE.sortKey);
      if (!id || getN(item, 'revokedAt') !== undefined || expiresAt === undefined || expiresAt <= nowSeconds) continue;
      // Families from before sessions were described have no dates: their last use is their expiry minus the lifetime.
      const lastUsedAt = getS(item, 'lastUsedAt') ?? new Date((expiresAt - this.config.refreshTokenTtlSeconds) * 1000).toISOString();
      const client = getS(item, 'client');
      sessions.push({ id, createdAt: getS(item, 'createdAt') ?? lastUsedAt, lastUsedAt, ...(client ? { client } : {}) });
    }
    return sessions.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** Revokes one of the user's own sessions; false when the user has no session of that id (another user's included). */
  async revokeSession(userId: string, sessionId: string): Promise<boolean> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return false;
    return this.revokeFamily(userId, sessionId);
  }

  /** Revokes every session of the user not revoked yet (signs them out everywhere); returns how many that was. */
  async revokeAllSessions(userId: string): Promise<number> {
    const ids = (await this.familyItems(userId))
      .filter((item) => getN(item, 'revokedAt') === undefined)
      .map((item) => getS(item, TABLE.sortKey))
      .filter((id): id is string => id !== undefined);
    // A handful per user; a few at a time keeps a user with many sessions from bursting the table.
    for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map((id) => this.revokeFamily(userId, id)));
    return ids.length;
  }

  private async familyItems(userId: string): Promise<Record<string, AttributeValue>[]> {
    // User ids are UUIDs; anything else (a key DynamoDB would refuse as too long, say) has no sessions.
    if (!UUID.test(userId)) return [];
    const items: Record<string, AttributeValue>[] = [];
    // A user's families have a partition of their own (FAMILY#<userId>): every item in it is a session.
    for await (const page of partitionPages(this.db, keys.familyPartition(userId), { consistent: true })) items.push(...page);
    return items;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private expiry(): number {
    return this.nowSeconds() + this.config.refreshTokenTtlSeconds;
  }
}
