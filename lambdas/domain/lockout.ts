/**
 * Per-email attempt budget: at most `maxAttempts` secret checks (bcrypt
 * compares, later TOTP codes) per lockout window for one email, however many
 * requests arrive at once.
 *
 * Keyed by the normalised email whether or not an account exists, so a
 * locked response says nothing about existence. One item per email
 * (`LOCK#<email>`): `attempts` counts the attempts of the current window,
 * those still being checked included, and `expiresAt` (also the TTL) ends
 * the window; every reserved attempt pushes it to `now + lockoutSeconds`.
 *
 * The budget is spent *before* the secret is checked: reserving is one
 * conditional increment that fails at the limit, so of any number of
 * concurrent requests exactly the free slots get a check and the rest get
 * `429`. A failed check keeps its slot; a successful one gives back its own
 * slot and nothing else, so it can never lift a lock that failures earned or
 * erase a failure still in flight. Earlier failures of the window keep
 * counting until it lapses.
 */
import { GetItemCommand, UpdateItemCommand, type UpdateItemCommandInput, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { LockoutConfig } from '../contract/config';
import { getN, isConditionalCheckFailure, ITEM_ABSENT, keyOf, N, names, type Db, type Item } from '../edge/dynamo';
import { ServiceUnavailableError, TooManyAttemptsError } from '../contract/errors';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import { keys, TABLE } from '../contract/table-schema';

/** What a lock item says at one moment. */
export interface LockState {
  /** Attempts counted in the current window (0 when there is none). */
  readonly attempts: number;
  /** The window is over (or there never was one): the next attempt starts a new one. */
  readonly lapsed: boolean;
  /** Seconds until a slot frees up, if the budget is spent now. */
  readonly lockedForSeconds: number | undefined;
  /** When the window ends (epoch seconds; 0 when lapsed). */
  readonly endsAt: number;
}

/**
 * One reserved attempt. Call exactly one of the two once the secret has been
 * checked; an attempt that is never settled (a crash, a timeout) stays
 * counted as a failure, which errs towards locking.
 */
export interface Attempt {
  /** The secret was right: gives this attempt's slot back. Never throws (a failed give-back leaves the slot counted). */
  succeeded(): Promise<void>;
  /** The secret was wrong: the slot stays spent until the window lapses. No DynamoDB call. */
  failed(): void;
}

/**
 * Rounds of "write, and on a lost race read again" before giving up with a
 * 503. Each lost race means another request changed the item, and at most
 * `maxAttempts` of those can be increments before the budget is spent, so
 * real contention settles in two or three rounds; the bound only stops a
 * storm (or a bug) from looping.
 */
const MAX_ROUNDS = 5;

export class Lockout {
  constructor(
    private readonly db: Db,
    private readonly config: LockoutConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the state from an item already fetched (login batches it with the account read). */
  stateOf(item: Item | undefined): LockState {
    const nowSeconds = this.now() / 1000;
    const windowEnd = getN(item, TABLE.ttlAttribute);
    if (!item || windowEnd === undefined || windowEnd <= nowSeconds) return { attempts: 0, lapsed: true, lockedForSeconds: undefined, endsAt: 0 };
    const attempts = getN(item, 'attempts') ?? 0;
    const lockedForSeconds = attempts >= this.config.maxAttempts ? Math.max(1, Math.ceil(windowEnd - nowSeconds)) : undefined;
    return { attempts, lapsed: false, lockedForSeconds, endsAt: windowEnd };
  }

  /**
   * Reserves one attempt for `email` before its secret is checked (login's
   * password, a password change's current password, a TOTP code). Every
   * caller of this gets the same guarantee: at most `maxAttempts` checks per
   * window for one email, whatever the concurrency.
   *
   * @param email the normalised email (whether or not it has an account: call this for unknown emails too).
   * @param seen the lock item as the caller already read it, consistently (login reads it in the same batch as the
   *   account). When it shows a spent budget the answer is a 429 without a write; when absent the write goes first.
   * @returns the reservation, to settle with `succeeded()` or `failed()` once the secret is checked.
   * @throws TooManyAttemptsError (429, `retryAfterSeconds`) when the budget is spent: do not check the secret.
   * @throws ServiceUnavailableError or a DynamoDB error (503) when the attempt cannot be counted: do not check the
   *   secret either, so no guess is ever judged without being counted.
   */
  async reserve(email: string, seen?: { readonly item: Item | undefined }): Promise<Attempt> {
    const key = keyOf(keys.lockout(email));
    let known = seen !== undefined;
    let item = seen?.item;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const state = known ? this.stateOf(item) : undefined;
      if (state?.lockedForSeconds !== undefined) throw new TooManyAttemptsError(state.lockedForSeconds);
      // An item whose window is over starts a new one; a live window, no item, or an unread one gets an increment.
      const slot = item !== undefined && state?.lapsed ? await this.tryRestart(key) : await this.tryIncrement(key);
      if (slot !== undefined) return this.attempt(key, slot);
      // A window's end only ever moves later, so if the one we saw outlasts this write, the increment failed because
      // concurrent attempts took the last slots: a 429 without another read (a burst's losers cost one write each).
      if (state && !state.lapsed && state.endsAt > Math.floor(this.now() / 1000) + 1) throw new TooManyAttemptsError(this.config.lockoutSeconds);
      // Lost a race (or what we saw is stale): look at the item as it is now and decide again.
      item = await this.read(key);
      known = true;
    }
    throw new ServiceUnavailableError('lockout counter contention');
  }

  /**
   * Reserves an attempt, runs `check`, and settles the attempt by its result:
   * the whole guarantee in one call, for flows that need nothing between the
   * steps. A `check` that throws counts as a failure.
   */
  async guard(email: string, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = await this.reserve(email);
    let ok = false;
    try {
      ok = await check();
    } finally {
      if (ok) await attempt.succeeded();
      else attempt.failed();
    }
    return ok;
  }

  /** The slot number this increment took (1-based), or undefined if the window is full or lapsed. */
  private async tryIncrement(key: Item): Promise<number | undefined> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const out = await this.updateIf({
      Key: key,
      UpdateExpression: 'ADD attempts :one SET #ttl = :exp',
      // A new item, or a live window with a free slot. Items written before `attempts` existed count from zero.
      ConditionExpression: `${ITEM_ABSENT} OR (#ttl > :now AND (attribute_not_exists(attempts) OR attempts < :max))`,
      ExpressionAttributeNames: names({ '#ttl': TABLE.ttlAttribute }),
      ExpressionAttributeValues: { ':one': N(1), ':exp': N(nowSeconds + this.config.lockoutSeconds), ':now': N(nowSeconds), ':max': N(this.config.maxAttempts) },
      ReturnValues: 'UPDATED_NEW',
    });
    return out && (getN(out.Attributes, 'attempts') ?? 1);
  }

  /** Starts a new window holding this one attempt, if the old window is over; undefined if someone got there first. */
  private async tryRestart(key: Item): Promise<number | undefined> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const out = await this.updateIf({
      Key: key,
      UpdateExpression: 'SET attempts = :one, #ttl = :exp',
      ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :now',
      ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
      ExpressionAttributeValues: { ':one': N(1), ':exp': N(nowSeconds + this.config.lockoutSeconds), ':now': N(nowSeconds) },
    });
    return out && 1;
  }

  /** A conditional update of the lock item; undefined when its condition did not hold (a lost race). */
  private async updateIf(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<UpdateItemCommandOutput | undefined> {
    try {
      return await this.db.client.send(new UpdateItemCommand({ TableName: this.db.tableName, ...input }));
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  private async read(key: Item): Promise<Item | undefined> {
    const out = await this.db.client.send(new GetItemCommand({ TableName: this.db.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  private attempt(key: Item, slot: number): Attempt {
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('an attempt is settled once');
      settled = true;
    };
    return {
      failed: () => {
        settle();
        // The failure in the last slot is the one that spends the budget.
        if (slot >= this.config.maxAttempts) {
          logger.info('lockout started', { lockoutSeconds: this.config.lockoutSeconds });
          countMetric('lockoutStarted');
        }
      },
      succeeded: async () => {
        settle();
        const nowSeconds = Math.floor(this.now() / 1000);
        try {
          await this.db.client.send(
            new UpdateItemCommand({
              TableName: this.db.tableName,
              Key: key,
              // Our own slot only, and only in the window it was taken from: a lapsed window has nothing to give back.
              UpdateExpression: 'ADD attempts :minusOne',
              ConditionExpression: '#ttl > :now AND attempts > :zero',
              ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
              ExpressionAttributeValues: { ':minusOne': N(-1), ':now': N(nowSeconds), ':zero': N(0) },
            }),
          );
        } catch (error) {
          // The slot stays spent: one attempt fewer for this window, never one more. Not worth failing a good login.
          if (!isConditionalCheckFailure(error)) logger.warn('lockout: could not give back a successful attempt', { error: String((error as Error)?.name ?? error) });
        }
      },
    };
  }
}
