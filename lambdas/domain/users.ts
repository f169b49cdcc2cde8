/**
 * User accounts. An account item is keyed by its email, so owning an email
 * is one conditional put (concurrent registrations of one email create one
 * user), and a small pointer item maps the opaque id back to the email.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { batchWrite, getS, isConditionalCheckFailure, ITEM_ABSENT, ITEM_PRESENT, keyOf, names, partitionPages, putNew, S, type Db, type Item } from '../edge/dynamo';
import { EmailTakenError, InvalidCredentialsError, NotFoundError, ValidationError } from '../contract/errors';
import { isRole, type Role } from '../contract/roles';
import { keys, TABLE } from '../contract/table-schema';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
  readonly role: Role;
  readonly createdAt: string;
}

/** An account as stored, hash included: never leaves the domain layer. */
export interface Account extends User {
  readonly passwordHash: string;
  /** Whether the owner followed a verification (or reset) link sent to the email. Absent on older items: false. */
  readonly emailVerified?: boolean;
  /** A second factor the account signs in with (set when TOTP is confirmed, removed when it is turned off). */
  readonly mfa?: 'totp';
}

/** User ids are UUIDs; anything else cannot name a user and is not worth a read. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function accountFromItem(item: Item | undefined): Account | undefined {
  const id = getS(item, 'userId');
  const email = getS(item, 'email');
  const role = getS(item, 'role');
  const createdAt = getS(item, 'createdAt');
  const passwordHash = getS(item, 'passwordHash');
  if (!id || !email || !isRole(role) || !createdAt || !passwordHash) return undefined;
  const name = getS(item, 'name');
  const emailVerified = item?.emailVerified?.BOOL === true;
  const mfa = getS(item, 'mfa') === 'totp' ? ('totp' as const) : undefined;
  return { id, email, role, createdAt, passwordHash, emailVerified, ...(name !== undefined ? { name } : {}), ...(mfa ? { mfa } : {}) };
}

/** The public view: what the contract calls `User`. */
export function publicUser(user: User): User {
  const { id, email, name, role, createdAt } = user;
  return name === undefined ? { id, email, role, createdAt } : { id, email, name, role, createdAt };
}

function userFromIndexItem(item: Item): User | undefined {
  const id = getS(item, 'userId');
  const email = getS(item, 'email');
  const role = getS(item, 'role');
  const createdAt = getS(item, 'createdAt');
  if (!id || !email || !isRole(role) || !createdAt) return undefined;
  const name = getS(item, 'name');
  return publicUser({ id, email, role, createdAt, ...(name !== undefined ? { name } : {}) });
}

export interface UserPage {
  readonly users: User[];
  readonly nextCursor?: string;
}

export class Users {
  constructor(private readonly db: Db) {}

  /**
   * Stores a new account whose email is already validated and whose
   * password is already hashed. Exactly one of any number of concurrent
   * creations for one email succeeds; the others get EmailTakenError.
   */
  async create(account: Omit<Account, 'id' | 'createdAt'>, createdAt: string): Promise<User> {
    const { email, role, passwordHash, emailVerified } = account;
    const id = randomUUID();
    const name = account.name?.trim() || undefined;

    // The pointer goes first: if we fail after it, it points at an email no account of this id owns, and is ignored.
    await putNew(this.db, { ...keyOf(keys.userPointer(id)), email: S(email) });
    const item: Item = {
      ...keyOf(keys.account(email)),
      userId: S(id),
      email: S(email),
      role: S(role),
      createdAt: S(createdAt),
      passwordHash: S(passwordHash),
      [TABLE.usersIndex.partitionKey]: S(keys.usersIndexShard(id)),
      [TABLE.usersIndex.sortKey]: S(`${createdAt}#${id}`),
      ...(name ? { name: S(name) } : {}),
      ...(emailVerified ? { emailVerified: { BOOL: true } } : {}),
    };
    try {
      await this.db.client.send(
        new PutItemCommand({ TableName: this.db.tableName, Item: item, ConditionExpression: ITEM_ABSENT, ExpressionAttributeNames: names() }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // A retried put of our own may have landed on the first try: then the account is ours.
      const existing = await this.accountByEmail(email);
      if (existing?.id === id) return publicUser(existing);
      await this.deleteQuietly(keys.userPointer(id));
      throw new EmailTakenError();
    }
    return publicUser({ id, email, role, createdAt, ...(name ? { name } : {}) });
  }

  /** Strongly consistent read of the account that owns `email`. */
  async accountByEmail(email: string): Promise<Account | undefined> {
    const out = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.account(email)), ConsistentRead: true }),
    );
    return accountFromItem(out.Item);
  }

  /** The account with this id, or undefined (unknown, deleted, or half-registered). */
  async accountById(id: string): Promise<Account | undefined> {
    if (!USER_ID.test(id)) return undefined;
    const pointer = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.userPointer(id)), ConsistentRead: true }),
    );
    const email = getS(pointer.Item, 'email');
    if (!email) return undefined;
    const account = await this.accountByEmail(email);
    return account?.id === id ? account : undefined;
  }

  /**
   * The role the account with this id has now, or undefined if there is no
   * such account. Two strongly consistent reads (the id pointer, then the
   * account), each projected to what is needed: the password hash is never
   * read.
   */
  async currentRole(id: string): Promise<Role | undefined> {
    if (!USER_ID.test(id)) return undefined;
    const pointer = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.userPointer(id)), ConsistentRead: true, ProjectionExpression: 'email' }),
    );
    const email = getS(pointer.Item, 'email');
    if (!email) return undefined;
    const account = await this.db.client.send(
      new GetItemCommand({
        TableName: this.db.tableName,
        Key: keyOf(keys.account(email)),
        ConsistentRead: true,
        ProjectionExpression: 'userId, #role',
        ExpressionAttributeNames: { '#role': 'role' },
      }),
    );
    const role = getS(account.Item, 'role');
    // The email may have been re-registered by someone else after this id was deleted.
    if (getS(account.Item, 'userId') !== id || !isRole(role)) return undefined;
    return role;
  }

  async get(id: string): Promise<User> {
    const account = await this.accountById(id);
    if (!account) throw new NotFoundError('No such user.');
    return publicUser(account);
  }

  async setRole(id: string, role: Role): Promise<User> {
    const account = await this.accountById(id);
    if (!account) throw new NotFoundError('No such user.');
    try {
      const out = await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.account(account.email)),
          // Setting the shard too moves an account written before the index was sharded out of the legacy partition.
          UpdateExpression: 'SET #role = :role, #gpk = :shard',
          ConditionExpression: `${ITEM_PRESENT} AND userId = :id`,
          ExpressionAttributeNames: names({ '#role': 'role', '#gpk': TABLE.usersIndex.partitionKey }),
          ExpressionAttributeValues: { ':role': S(role), ':id': S(id), ':shard': S(keys.usersIndexShard(id)) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const updated = accountFromItem(out.Attributes);
      if (!updated) throw new NotFoundError('No such user.');
      return publicUser(updated);
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new NotFoundError('No such user.');
      throw error;
    }
  }

  /**
   * Replaces the password hash, only if the account still has the hash the
   * caller checked: of two concurrent changes one wins, and the other gets
   * the 401 its now-outdated current password deserves.
   */
  async setPasswordHash(account: Account, passwordHash: string, changedAt: string): Promise<void> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.account(account.email)),
          UpdateExpression: 'SET passwordHash = :new, passwordChangedAt = :at',
          ConditionExpression: `${ITEM_PRESENT} AND userId = :id AND passwordHash = :old`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':new': S(passwordHash), ':at': S(changedAt), ':id': S(account.id), ':old': S(account.passwordHash) },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // The SDK retries a write whose answer was lost: if the first try landed, the account holds our hash.
      const now = await this.accountByEmail(account.email);
      if (now?.id === account.id && now.passwordHash === passwordHash) return;
      throw new InvalidCredentialsError('wrong_password');
    }
  }

  /**
   * Marks the account verified, if it is still the account of `id` (an email deleted and registered again is another
   * account, which a link sent to the first one must not verify). False when it is not.
   */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.account(email)),
          UpdateExpression: 'SET emailVerified = :yes',
          ConditionExpression: `${ITEM_PRESENT} AND userId = :id`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':yes': { BOOL: true }, ':id': S(id) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Replaces the password hash after a reset: the caller proved control of the email, not knowledge of the old
   * password, so the condition is only that the account is still the one the link was sent for. The email is
   * verified by the same write (the link reached its inbox).
   */
  async resetPasswordHash(id: string, email: string, passwordHash: string, changedAt: string): Promise<boolean> {
    try {
      await this.db.client.send(
        new UpdateItemCommand({
          TableName: this.db.tableName,
          Key: keyOf(keys.account(email)),
          UpdateExpression: 'SET passwordHash = :new, passwordChangedAt = :at, emailVerified = :yes',
          ConditionExpression: `${ITEM_PRESENT} AND userId = :id`,
          ExpressionAttributeNames: names(),
          ExpressionAttributeValues: { ':new': S(passwordHash), ':at': S(changedAt), ':id': S(id), ':yes': { BOOL: true } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Deletes a user: first the account (from then on the user is gone:
   * profile 404, refresh 401), then the user's families and orders, the
   * pointer last. If a step fails, calling again finishes the job, because
   * the pointer still names the id.
   */
  async delete(id: string): Promise<void> {
    if (!USER_ID.test(id)) throw new NotFoundError('No such user.');
    const pointer = await this.db.client.send(
      new GetItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.userPointer(id)), ConsistentRead: true }),
    );
    if (!pointer.Item) throw new NotFoundError('No such user.');
    const email = getS(pointer.Item, 'email');
    if (email) {
      try {
        await this.db.client.send(
          new DeleteItemCommand({
            TableName: this.db.tableName,
            Key: keyOf(keys.account(email)),
            ConditionExpression: 'userId = :id',
            ExpressionAttributeValues: { ':id': S(id) },
          }),
        );
      } catch (error) {
        // Absent or owned by someone else (re-registered after an earlier delete): not ours to delete.
        if (!isConditionalCheckFailure(error)) throw error;
      }
    }
    await this.deleteChildren(id);
  }

  /** Deletes the user's refresh families and orders (a partition each), then the pointer. */
  private async deleteChildren(id: string): Promise<void> {
    for (const partition of [keys.familyPartition(id), keys.orderPartition(id)]) {
      for await (const page of partitionPages(this.db, partition, { keysOnly: true })) {
        await batchWrite(
          this.db,
          page.map((item) => ({ DeleteRequest: { Key: { [TABLE.partitionKey]: item[TABLE.partitionKey]!, [TABLE.sortKey]: item[TABLE.sortKey]! } } })),
        );
      }
    }
    // The sealed TOTP secret and recovery hashes go with the account.
    await this.db.client.send(new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.totp(id)) }));
    await this.db.client.send(new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(keys.userPointer(id)) }));
  }

  private async deleteQuietly(key: { pk: string; sk: string }): Promise<void> {
    try {
      await this.db.client.send(new DeleteItemCommand({ TableName: this.db.tableName, Key: keyOf(key) }));
    } catch {
      // An orphaned pointer is harmless; nothing to tell the client.
    }
  }

  /**
   * Users in creation order, a page at a time. The index is sharded
   * (USERS_INDEX_SHARDS): every shard is queried for the `limit + 1` users
   * created after the cursor, and the results merged. The index sort key
   * (`<createdAt>#<id>`) is unique and orders users the same way in every
   * shard, so the last user returned is the whole position: the cursor
   * holds that key alone, opaque to clients and validated here.
   */
  async list(options: { limit: number; cursor?: string | undefined }): Promise<UserPage> {
    const after = options.cursor === undefined ? undefined : decodeUsersCursor(options.cursor);
    const fetched = await Promise.all(keys.usersIndexPartitions().map((partition) => this.queryIndex(partition, after, options.limit + 1)));
    // A shard cut short (DynamoDB's 1 MB page) may hold more users before its last one: nothing past that may be listed yet.
    const bound = fetched
      .filter((f) => f.truncated)
      .map((f) => f.items.at(-1)?.sortKey)
      .reduce<string | undefined>((min, key) => (key !== undefined && (min === undefined || key < min) ? key : min), undefined);
    const seen = new Set<string>();
    const merged = fetched
      .flatMap((f) => f.items)
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
      // An account moving out of the legacy partition while the shards are read can show up in two of them.
      .filter((entry) => {
        if (seen.has(entry.user.id)) return false;
        seen.add(entry.user.id);
        return true;
      })
      .filter((entry) => bound === undefined || entry.sortKey <= bound);
    const page = merged.slice(0, options.limit);
    const more = merged.length > options.limit || fetched.some((f) => f.truncated);
    const last = page.at(-1);
    return more && last ? { users: page.map((e) => e.user), nextCursor: encodeUsersCursor(last.sortKey) } : { users: page.map((e) => e.user) };
  }

  private async queryIndex(partition: string, after: string | undefined, limit: number): Promise<{ items: { sortKey: string; user: User }[]; truncated: boolean }> {
    const index = TABLE.usersIndex;
    const out = await this.db.client.send(
      new QueryCommand({
        TableName: this.db.tableName,
        IndexName: index.name,
        KeyConditionExpression: after === undefined ? '#gpk = :gpk' : '#gpk = :gpk AND #gsk > :after',
        ExpressionAttributeNames: { '#gpk': index.partitionKey, ...(after === undefined ? {} : { '#gsk': index.sortKey }) },
        ExpressionAttributeValues: { ':gpk': S(partition), ...(after === undefined ? {} : { ':after': S(after) }) },
        Limit: limit,
      }),
    );
    const items = (out.Items ?? []).flatMap((item) => {
      const user = userFromIndexItem(item);
      const sortKey = getS(item, index.sortKey);
      return user && sortKey ? [{ sortKey, user }] : [];
    });
    return { items, truncated: out.LastEvaluatedKey !== undefined && (out.Items ?? []).length < limit };
  }
}

/** Cursors are the index's LastEvaluatedKey as base64url JSON of its string attributes. */
export function encodeCursor(key: Record<string, AttributeValue>): string {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(key)) if ('S' in value && typeof value.S === 'string') flat[name] = value.S;
  return Buffer.from(JSON.stringify(flat), 'utf8').toString('base64url');
}

function badCursor(): ValidationError {
  return new ValidationError([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
}

/** Decodes a cursor into exactly the attributes `expected` names, each a string; anything else is a 400. */
export function decodeCursor(cursor: string, expected: readonly string[]): Record<string, AttributeValue> {
  if (cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badCursor();
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== expected.length) throw badCursor();
  const key: Record<string, AttributeValue> = {};
  for (const name of expected) {
    const v = (value as Record<string, unknown>)[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > 1024) throw badCursor();
    key[name] = S(v);
  }
  return key;
}

/** The users index sort key of an account: `<createdAt>#<id>`, both as create() writes them. */
const USERS_INDEX_SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USERS_CURSOR_FIELD = 'after';

function encodeUsersCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ [USERS_CURSOR_FIELD]: sortKey }), 'utf8').toString('base64url');
}

function decodeUsersCursor(cursor: string): string {
  const after = decodeCursor(cursor, [USERS_CURSOR_FIELD])[USERS_CURSOR_FIELD]?.S;
  if (after === undefined || !USERS_INDEX_SORT_KEY.test(after)) throw badCursor();
  return after;
}
