/**
 * The single-table layout, written once: the stack creates the table from
 * it, the local stack and the tests create the emulator's table from it,
 * and the domain code builds keys with it.
 *
 * | item type       | pk              | sk                | notes                               |
 * |-----------------|-----------------|-------------------|-------------------------------------|
 * | `account`       | `EMAIL#<email>` | `ACCOUNT`         | the user record, password hash too  |
 * | `userPointer`   | `USER#<id>`     | `PROFILE`         | id -> email                         |
 * | `refreshFamily` | `FAMILY#<id>`   | `<familyId>`      | revocation flag, TTL, session info  |
 * | `order`         | `ORDER#<id>`    | `<iso>#<orderId>` | newest first by sort key            |
 * | `lockout`       | `LOCK#<email>`  | `LOCK`            | attempts in the window, TTL         |
 * | `refreshToken`  | `RT#<sha256>`   | `RT`              | single use, TTL                     |
 * | `resetToken`    | `RESET#<sha256>`| `RESET`           | password reset link: user, TTL      |
 * | `verifyToken`   | `VERIFY#<sha256>`| `VERIFY`         | email verification link: user, TTL  |
 * | `mailQuota`     | `MAILQ#<id>`    | `MAILQ`           | mails this hour, current reset, TTL |
 * | `totp`          | `TOTP#<id>`     | `TOTP`            | encrypted secret, recovery hashes   |
 * | `mfaChallenge`  | `MFACH#<sha256>`| `MFACH`           | sign-in challenge, single use, TTL  |
 *
 * Every item type has a partition key prefix of its own, and no prefix
 * starts another: IAM's `dynamodb:LeadingKeys` condition sees only the
 * partition key, so this is what lets a function's policy name the item
 * types it may touch (lib/function-specs.ts) and nothing else. A user's
 * families and orders live in partitions named after the user id, so
 * deleting a user is one query per partition.
 *
 * Users index (`gsi1pk` / `gsi1sk`) on account items: `USERS#<shard>` /
 * `<createdAt>#<id>`, the shard from the user id (USERS_INDEX_SHARDS).
 *
 * The account item is keyed by email so that registration is one
 * conditional put (DynamoDB transactions are not needed, and not all
 * emulators have them) and login reads it together with the lockout item in
 * one BatchGetItem before bcrypt runs.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  usersIndex: { name: 'users-by-created', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

/** The partition key prefix of each item type: the one place they are written. */
export const ITEM_TYPES = {
  account: 'EMAIL#',
  userPointer: 'USER#',
  refreshFamily: 'FAMILY#',
  order: 'ORDER#',
  lockout: 'LOCK#',
  refreshToken: 'RT#',
  resetToken: 'RESET#',
  verifyToken: 'VERIFY#',
  mailQuota: 'MAILQ#',
  totp: 'TOTP#',
  mfaChallenge: 'MFACH#',
} as const;

export type ItemType = keyof typeof ITEM_TYPES;

const P = ITEM_TYPES;
const familyPartition = (userId: string) => `${P.refreshFamily}${userId}`;
const orderPartition = (userId: string) => `${P.order}${userId}`;

export const keys = {
  account: (email: string) => ({ pk: `${P.account}${email}`, sk: 'ACCOUNT' }),
  userPointer: (userId: string) => ({ pk: `${P.userPointer}${userId}`, sk: 'PROFILE' }),
  family: (userId: string, familyId: string) => ({ pk: familyPartition(userId), sk: familyId }),
  familyPartition,
  order: (userId: string, createdAt: string, orderId: string) => ({ pk: orderPartition(userId), sk: `${createdAt}#${orderId}` }),
  orderPartition,
  lockout: (email: string) => ({ pk: `${P.lockout}${email}`, sk: 'LOCK' }),
  refreshToken: (tokenHash: string) => ({ pk: `${P.refreshToken}${tokenHash}`, sk: 'RT' }),
  resetToken: (tokenHash: string) => ({ pk: `${P.resetToken}${tokenHash}`, sk: 'RESET' }),
  verifyToken: (tokenHash: string) => ({ pk: `${P.verifyToken}${tokenHash}`, sk: 'VERIFY' }),
  mailQuota: (userId: string) => ({ pk: `${P.mailQuota}${userId}`, sk: 'MAILQ' }),
  totp: (userId: string) => ({ pk: `${P.totp}${userId}`, sk: 'TOTP' }),
  mfaChallenge: (challengeHash: string) => ({ pk: `${P.mfaChallenge}${challengeHash}`, sk: 'MFACH' }),
  /** The users index partition of an account item: one of USERS_INDEX_SHARDS, from its user id. */
  usersIndexShard: (userId: string) => usersIndexShardKey(usersIndexShardOf(userId)),
  /** Every partition `GET /api/users` reads: each shard, and the legacy one (see USERS_INDEX_LEGACY_PARTITION). */
  usersIndexPartitions: () => [...Array.from({ length: USERS_INDEX_SHARDS }, (_, shard) => usersIndexShardKey(shard)), USERS_INDEX_LEGACY_PARTITION],
} as const;

/** The item type a partition key belongs to, or undefined for a key no item type has. */
export function itemTypeOf(pk: string): ItemType | undefined {
  return (Object.keys(ITEM_TYPES) as ItemType[]).find((type) => pk.startsWith(ITEM_TYPES[type]));
}

/**
 * The users index is spread over this many partitions so that a sign-up
 * spike does not throttle one: DynamoDB caps a partition's writes (about
 * 1,000 WCU/s), a throttled index throttles the table's own writes, and
 * every registration and role change writes the index. 16 shards allow
 * 16,000 account writes a second, above the highest stage rate limit;
 * listing reads every shard (one Query each) and merges. Fixed: changing
 * it re-keys every account item (docs/operations.md).
 */
export const USERS_INDEX_SHARDS = 16;

/**
 * The single partition every account item used before the index was
 * sharded. Nothing writes it any more; listing still reads it (one cheap
 * Query, empty on a new table) so that accounts written before keep being
 * listed, and a role change moves such an account to its shard.
 */
export const USERS_INDEX_LEGACY_PARTITION = 'USERS';

function usersIndexShardKey(shard: number): string {
  return `USERS#${String(shard).padStart(2, '0')}`;
}

/** FNV-1a (32 bit) of the user id, modulo the shard count: stable, and even over random UUIDs. */
export function usersIndexShardOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i += 1) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % USERS_INDEX_SHARDS;
}

/** Attributes of an account item that the users index carries. */
export const USERS_INDEX_ATTRIBUTES = ['userId', 'email', 'name', 'role', 'createdAt'] as const;

/** CreateTable input for emulators, equal to what the stack deploys (checked by a test). */
export function createTableInput(tableName: string) {
  const { partitionKey, sortKey, usersIndex } = TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: sortKey, AttributeType: 'S' as const },
      { AttributeName: usersIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: usersIndex.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: usersIndex.name,
        KeySchema: [
          { AttributeName: usersIndex.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: usersIndex.sortKey, KeyType: 'RANGE' as const },
        ],
        // Listing users needs the public fields only: password hashes stay out of the index.
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...USERS_INDEX_ATTRIBUTES] },
      },
    ],
  };
}
