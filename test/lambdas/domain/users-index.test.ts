/**
 * The sharded users index: where account writes land (spread over
 * USERS_INDEX_SHARDS partitions, never one hot partition), and
 * `Users.list` reading every shard back in creation order, page by page,
 * against dynalite over HTTP.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { Users, type User } from '../../../lambdas/domain/users';
import { getS, keyOf, S, type Db } from '../../../lambdas/edge/dynamo';
import { ValidationError } from '../../../lambdas/contract/errors';
import { keys, TABLE, USERS_INDEX_LEGACY_PARTITION, USERS_INDEX_SHARDS } from '../../../lambdas/contract/table-schema';
import { createTestTable } from '../../support/environment';

const HASH = '$2b$04$abcdefghijklmnopqrstuu5Gd5gq0m4Hc5xWbYz0pZ3m4o5N6p7Qq';
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString();
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

let db: Db;
let users: Users;
beforeEach(async () => {
  db = await createTestTable();
  users = new Users(db);
});

async function indexPartitionOf(email: string): Promise<string | undefined> {
  const out = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: keyOf(keys.account(email)), ConsistentRead: true }));
  return getS(out.Item, TABLE.usersIndex.partitionKey);
}

/** Creates `count` users, one a second, in a shuffled order of creation calls (the index, not call order, must order them). */
async function createUsers(count: number, first = 0): Promise<User[]> {
  const order = Array.from({ length: count }, (_, i) => i).sort(() => Math.random() - 0.5);
  const created: User[] = [];
  // One at a time: the shared dynalite is slow under a loaded machine, and concurrency is not what this tests.
  for (const i of order) created.push(await users.create({ email: `u${first + i}@example.com`, role: 'user', passwordHash: HASH }, iso(first + i)));
  return created.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function listAll(limit: number): Promise<{ pages: User[][]; lastCursor: string | undefined }> {
  const pages: User[][] = [];
  let cursor: string | undefined;
  do {
    const page = await users.list({ limit, cursor });
    pages.push(page.users);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 1000);
  return { pages, lastCursor: cursor };
}

describe('users index shards: where writes land', () => {
  it('spreads 10,000 generated user ids evenly over all the shards', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const shard = keys.usersIndexShard(randomUUID());
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }

    const expected = 10_000 / USERS_INDEX_SHARDS;
    expect(counts.size).toBe(USERS_INDEX_SHARDS);
    expect(counts.has(USERS_INDEX_LEGACY_PARTITION)).toBe(false);
    // 625 each on average, a standard deviation of about 24: ±25% is more than six of them.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.75);
      expect(count).toBeLessThan(expected * 1.25);
    }
  });

  it('writes each new account to its own shard, derived from its id, and never to one shared partition', async () => {
    const created = await createUsers(32);

    const partitions: (string | undefined)[] = [];
    for (const u of created) partitions.push(await indexPartitionOf(u.email));
    expect(partitions).toEqual(created.map((u) => keys.usersIndexShard(u.id)));
    expect(partitions).not.toContain(USERS_INDEX_LEGACY_PARTITION);
    expect(new Set(partitions).size).toBeGreaterThan(USERS_INDEX_SHARDS / 2);
  });

  it('a role change keeps the account in its shard', async () => {
    const [user] = await createUsers(1);

    await users.setRole(user!.id, 'admin');

    expect(await indexPartitionOf(user!.email)).toBe(keys.usersIndexShard(user!.id));
  });
});

describe('Users.list over the shards', () => {
  it('returns every user once, in creation order, pages of at most `limit`', async () => {
    const created = await createUsers(40);

    const { pages } = await listAll(7);

    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 7, 5]);
    expect(pages.flat().map((u) => u.id)).toEqual(created.map((u) => u.id));
  });

  it('orders users created in the same millisecond by id, the same way on every page', async () => {
    const same: User[] = [];
    for (let i = 0; i < 9; i += 1) same.push(await users.create({ email: `tie${i}@example.com`, role: 'user', passwordHash: HASH }, iso(5)));

    const { pages } = await listAll(2);

    expect(pages.flat().map((u) => u.id)).toEqual(same.map((u) => u.id).sort());
  });

  it('gives no nextCursor when the page holds the last user, even when it is exactly `limit` long', async () => {
    await createUsers(10);

    const page = await users.list({ limit: 10 });

    expect(page.users).toHaveLength(10);
    expect(page.nextCursor).toBeUndefined();
  });

  it('shows a user created after a page was served on a later page: the cursor is a position, not a snapshot', async () => {
    await createUsers(5);
    const first = await users.list({ limit: 3 });
    const late = await users.create({ email: 'late@example.com', role: 'user', passwordHash: HASH }, iso(100));

    const rest = await users.list({ limit: 10, cursor: first.nextCursor });

    expect(rest.users.map((u) => u.email)).toEqual(['u3@example.com', 'u4@example.com', late.email]);
  });

  it('refuses a cursor it did not issue: the old single-partition shape, a bad position, extra fields', async () => {
    await createUsers(3);
    const issued = (await users.list({ limit: 1 })).nextCursor!;
    const after = (JSON.parse(Buffer.from(issued, 'base64url').toString('utf8')) as { after: string }).after;

    for (const cursor of [
      b64json({ pk: 'EMAIL#u0@example.com', sk: 'ACCOUNT', gsi1pk: 'USERS', gsi1sk: after }),
      b64json({ after: 'USERS#03' }),
      b64json({ after: `${after}x` }),
      b64json({ after, shard: 1 }),
      '!!!',
    ]) {
      await expect(users.list({ limit: 5, cursor })).rejects.toBeInstanceOf(ValidationError);
    }
    expect((await users.list({ limit: 5, cursor: issued })).users).toHaveLength(2);
  });
});

describe('accounts written before the index was sharded (the legacy `USERS` partition)', () => {
  /** An account item exactly as the unsharded code wrote it. */
  async function putLegacyAccount(email: string, createdAt: string): Promise<string> {
    const id = randomUUID();
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...keyOf(keys.userPointer(id)), email: S(email) } }));
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          ...keyOf(keys.account(email)),
          userId: S(id),
          email: S(email),
          role: S('user'),
          createdAt: S(createdAt),
          passwordHash: S(HASH),
          [TABLE.usersIndex.partitionKey]: S(USERS_INDEX_LEGACY_PARTITION),
          [TABLE.usersIndex.sortKey]: S(`${createdAt}#${id}`),
        },
      }),
    );
    return id;
  }

  it('are listed in creation order among the sharded ones, and a role change moves them to their shard', async () => {
    // Prepare: two old accounts around newer ones.
    await putLegacyAccount('old-1@example.com', iso(0));
    await createUsers(4, 1);
    const middle = await putLegacyAccount('old-2@example.com', iso(3));

    // Act / Assess: listed once each, in order.
    const emails = (await listAll(2)).pages.flat().map((u) => u.email);
    expect(emails[0]).toBe('old-1@example.com');
    expect(emails.filter((e) => e.startsWith('old-'))).toEqual(['old-1@example.com', 'old-2@example.com']);
    expect(emails).toHaveLength(6);

    await users.setRole(middle, 'admin');
    expect(await indexPartitionOf('old-2@example.com')).toBe(keys.usersIndexShard(middle));
    expect((await listAll(3)).pages.flat().map((u) => u.email)).toEqual(emails);
  });
});
