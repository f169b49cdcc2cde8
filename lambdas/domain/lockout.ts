/**
 * Per-email login lockout. Keyed by the normalised email whether or not an
 * account exists, so a locked response says nothing about existence.
 *
 * One item per email: `failures` counts consecutive failures, each within
 * `lockoutSeconds` of the previous (`expiresAt`, also the TTL); reaching
 * `maxAttempts` sets `lockedUntil`. Counting is an atomic ADD, so N
 * concurrent failures count exactly N.
 */
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { LockoutConfig } from '../shared/config';
import { getN, isConditionalCheckFailure, ITEM_ABSENT, keyOf, N, names, type Db, type Item } from '../shared/dynamo';
import { ServiceUnavailableError } from '../shared/errors';
import { logger } from '../shared/logger';
import { countMetric } from '../shared/metrics';
import { keys, TABLE } from '../shared/table-schema';

export interface LockState {
  readonly exists: boolean;
  /** Seconds until the lock lifts, if locked now. */
  readonly lockedForSeconds: number | undefined;
}

export class Lockout {
  constructor(
    private readonly db: Db,
    private readonly config: LockoutConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the state from an item already fetched (login batches it with the account read). */
  stateOf(item: Item | undefined): LockState {
    if (!item) return { exists: false, lockedForSeconds: undefined };
    const lockedUntil = getN(item, 'lockedUntil');
    const nowSeconds = this.now() / 1000;
    if (lockedUntil !== undefined && lockedUntil > nowSeconds) {
      return { exists: true, lockedForSeconds: Math.max(1, Math.ceil(lockedUntil - nowSeconds)) };
    }
    return { exists: true, lockedForSeconds: undefined };
  }

  /** Counts one failed login; locks the email when the count reaches the limit. */
  async recordFailure(email: string): Promise<void> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const expiresAt = nowSeconds + this.config.lockoutSeconds;
    const failures = await this.increment(email, nowSeconds, expiresAt);
    if (failures < this.config.maxAttempts) return;
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.lockout(email)),
          UpdateExpression: 'SET lockedUntil = :until, #ttl = :until, failures = :zero',
          ConditionExpression: 'failures >= :max',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':until': N(expiresAt), ':zero': N(0), ':max': N(this.config.maxAttempts) },
        }),
      );
      // Only the write that locked counts: concurrent failures past the limit lose the condition below.
      logger.info('lockout started', { lockoutSeconds: this.config.lockoutSeconds });
      countMetric('lockoutStarted');
    } catch (error) {
      // A concurrent failure already locked and reset the count.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  private async increment(email: string, nowSeconds: number, expiresAt: number): Promise<number> {
    const key = keyOf(keys.lockout(email));
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // Still inside the window (or first failure): add one.
        const out = await this.db.client.send(
          new UpdateItemCommand({
            TableName: this.db.tableName,
            Key: key,
            UpdateExpression: 'ADD failures :one SET #ttl = :exp',
            ConditionExpression: `${ITEM_ABSENT} OR #ttl > :now`,
            ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
            ExpressionAttributeValues: { ':one': N(1), ':exp': N(expiresAt), ':now': N(nowSeconds) },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return getN(out.Attributes, 'failures') ?? 1;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
      }
      try {
        // The previous failures (or lock) are older than the window: start counting again.
        await this.db.client.send(
          new UpdateItemCommand({
            TableName: this.db.tableName,
            Key: key,
            UpdateExpression: 'SET failures = :one, #ttl = :exp REMOVE lockedUntil',
            ConditionExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
            ExpressionAttributeValues: { ':one': N(1), ':exp': N(expiresAt), ':now': N(nowSeconds) },
          }),
        );
        return 1;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        // Someone refreshed the window between our two writes: count again.
      }
    }
    throw new ServiceUnavailableError('lockout counter contention');
  }

  /** A successful login resets the count. */
  async reset(email: string): Promise<void> {
    await this.db.client.send(new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.lockout(email)) }));
  }
}
