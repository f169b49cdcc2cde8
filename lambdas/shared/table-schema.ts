/**
 * The single-table layout, written once: the stack creates the table from
 * it, the local stack and the tests create the emulator's table from it,
 * and the domain code builds keys with it.
 *
 * | item              | pk               | sk                     | notes                              |
 * |-------------------|------------------|------------------------|------------------------------------|
 * | account (claim)   | `EMAIL#<email>`  | `ACCOUNT`              | the user record; owning the email  |
 * | user pointer      | `USER#<id>`      | `PROFILE`              | id -> email                        |
 * | refresh family    | `USER#<id>`      | `FAMILY#<familyId>`    | revocation flag, TTL, session info |
 * | order             | `USER#<id>`      | `ORDER#<iso>#<id>`     | newest first by sort key           |
 * | login lockout     | `LOCK#<email>`   | `LOCK`                 | failure count, lockedUntil, TTL    |
 * | refresh token     | `RT#<sha256>`    | `RT`                   | single use, TTL                    |
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

export const keys = {
  account: (email: string) => ({ pk: `EMAIL#${email}`, sk: 'ACCOUNT' }),
  userPointer: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  family: (userId: string, familyId: string) => ({ pk: `USER#${userId}`, sk: `FAMILY#${familyId}` }),
  order: (userId: string, createdAt: string, orderId: string) => ({ pk: `USER#${userId}`, sk: `ORDER#${createdAt}#${orderId}` }),
  userPartition: (userId: string) => `USER#${userId}`,
  orderPrefix: 'ORDER#',
  familyPrefix: 'FAMILY#',
  lockout: (email: string) => ({ pk: `LOCK#${email}`, sk: 'LOCK' }),
  refreshToken: (tokenHash: string) => ({ pk: `RT#${tokenHash}`, sk: 'RT' }),
  /** Every account item carries this in the users index partition key. */
  usersIndexPartition: 'USERS',
} as const;

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
