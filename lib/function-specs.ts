/**
 * What each function may do and how it runs, written once: the stack sizes
 * functions and writes their IAM policies from this table, the local stack
 * applies the same timeouts and the same DynamoDB item grants, and tests
 * check the synthesized policies against it. Plain data: no CDK imports,
 * so local code can read it. A new function's grants are one entry here.
 */
import type { FunctionName } from '../lambdas/contract/routes';
import type { ItemType } from '../lambdas/contract/table-schema';

/** DynamoDB actions on table items, exactly as IAM names them, in the order policies list them. */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Query',
] as const;

export type TableAction = (typeof TABLE_ACTIONS)[number];

/**
 * The actions a function may take on the items of each type it touches,
 * by item type (lambdas/contract/table-schema.ts `ITEM_TYPES`). The policy
 * allows each action only on partition keys of the listed types
 * (`dynamodb:LeadingKeys`); lib/table-grants.ts renders it. A batch call
 * that names items of several types needs its action on each of them.
 */
export type ItemGrants = Readonly<Partial<Record<ItemType, readonly TableAction[]>>>;

/** Every grant of each part, merged: `grants(READS_ACCOUNT_BY_ID, { account: ['dynamodb:UpdateItem'] })`. */
export function grants(...parts: ItemGrants[]): ItemGrants {
  const out: Partial<Record<ItemType, TableAction[]>> = {};
  for (const part of parts) {
    for (const [type, actions] of Object.entries(part) as [ItemType, readonly TableAction[]][]) {
      out[type] = [...new Set([...(out[type] ?? []), ...actions])];
    }
  }
  return out;
}

/** Users.accountById: the id pointer, then the account it names (profile, and every check of a caller's account). */
export const READS_ACCOUNT_BY_ID: ItemGrants = { userPointer: ['dynamodb:GetItem'], account: ['dynamodb:GetItem'] };

/** PasswordCheck: reserves a lockout attempt (UpdateItem), rereads the lock item after a lost race, gives a good one back. */
export const CHECKS_PASSWORD: ItemGrants = { lockout: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] };

/** RefreshTokens.revokeAllSessions: the user's family partition, then each family's revocation flag. */
export const REVOKES_ALL_SESSIONS: ItemGrants = { refreshFamily: ['dynamodb:Query', 'dynamodb:UpdateItem'] };

/** Users.delete: the pointer (read first, deleted last), the account, and the user's family and order partitions. */
export const DELETES_USER: ItemGrants = {
  userPointer: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
  account: ['dynamodb:DeleteItem'],
  totp: ['dynamodb:DeleteItem'],
  refreshFamily: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
  order: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
};

/** MailQuota.reserve: one conditional update per mail, and a read to tell a full window from a lost race. */
export const RESERVES_MAIL: ItemGrants = { mailQuota: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] };

/** Every action a spec allows on base table items, whatever the item type. */
export function tableActions(spec: FunctionSpec): TableAction[] {
  const granted = new Set(Object.values(spec.table ?? {}).flat());
  return TABLE_ACTIONS.filter((action) => granted.has(action));
}

export interface FunctionSpec {
  /** bcrypt is CPU-bound and Lambda CPU scales with memory: 1769 MB is one full vCPU. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Actions on base table items, by item type (account items hold the password hashes). */
  readonly table?: ItemGrants;
  /** `dynamodb:Query` on the users index only: it projects the public user fields, never a hash. */
  readonly index?: boolean;
  /** Reads the published public keys (SSM parameter). */
  readonly publicKeys?: boolean;
  /** Reads the private signing key (Secrets Manager): token issuers only. */
  readonly signingKey?: boolean;
  /** Reads the key material TOTP secrets are sealed with (Secrets Manager): the second-factor functions only. */
  readonly totpKey?: boolean;
  /** Rotates the signing key: writes the secret and the public key parameter. */
  readonly rotatesKeys?: boolean;
  /** Sends mail through SES, from the configured `mailFrom` identity only. */
  readonly sendsMail?: boolean;
  readonly description: string;
}

const SMALL = { memoryMb: 256, timeoutSeconds: 5 } as const;
/** One vCPU: a bcrypt compare at cost 11 takes ~0.2 s here, and twice that at half a vCPU. */
const BCRYPT = { memoryMb: 1769, timeoutSeconds: 10 } as const;

export const FUNCTION_SPECS: Record<FunctionName, FunctionSpec> = {
  root: { ...SMALL, description: 'GET / liveness' },
  register: {
    ...BCRYPT,
    table: grants(
      // The account's conditional put owns the email; the pointer goes first and is removed again if the email is taken.
      { account: ['dynamodb:GetItem', 'dynamodb:PutItem'], userPointer: ['dynamodb:PutItem', 'dynamodb:DeleteItem'] },
      // The verification mail: its budget and its token.
      RESERVES_MAIL,
      { verifyToken: ['dynamodb:PutItem'] },
    ),
    sendsMail: true,
    description: 'POST /register',
  },
  login: {
    ...BCRYPT,
    table: {
      // One BatchGetItem reads the account and the lockout item together.
      account: ['dynamodb:BatchGetItem'],
      // UpdateItem reserves (and gives back) a lockout attempt; GetItem rereads the lock item after a lost race.
      lockout: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
      // One BatchWriteItem stores a new session: its family and its first token.
      refreshFamily: ['dynamodb:BatchWriteItem'],
      refreshToken: ['dynamodb:BatchWriteItem'],
      // An account with a second factor gets a sign-in challenge instead of tokens.
      mfaChallenge: ['dynamodb:PutItem'],
    },
    signingKey: true,
    // Issuers read the published set to sign only with a key published long enough (AwsKeyStore.loadSigningKey).
    publicKeys: true,
    description: 'POST /login',
  },
  'login-mfa': {
    ...SMALL,
    // Up to six DynamoDB round trips and a signature on the sign-in path: login's budget, not a small route's.
    timeoutSeconds: 10,
    table: {
      // The challenge is read, then deleted when redeemed (a conditional delete: single use).
      mfaChallenge: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
      // One BatchGetItem reads the account, the TOTP item and the lockout item together.
      account: ['dynamodb:BatchGetItem'],
      // UpdateItem stores the code's step (no replay) or removes a used recovery code.
      totp: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
      lockout: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
      refreshFamily: ['dynamodb:BatchWriteItem'],
      refreshToken: ['dynamodb:BatchWriteItem'],
    },
    totpKey: true,
    signingKey: true,
    publicKeys: true,
    description: 'POST /login/mfa',
  },
  refresh: {
    ...SMALL,
    table: {
      // A replay within the reuse interval reads the successor token with its family and account in one BatchGetItem.
      refreshToken: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      // One BatchGetItem reads the family and the account together.
      refreshFamily: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
      account: ['dynamodb:BatchGetItem'],
    },
    signingKey: true,
    publicKeys: true,
    description: 'POST /refresh',
  },
  logout: { ...SMALL, table: { refreshToken: ['dynamodb:GetItem'], refreshFamily: ['dynamodb:UpdateItem'] }, description: 'POST /logout' },
  jwks: { ...SMALL, publicKeys: true, description: 'GET /.well-known/jwks.json' },
  'forgot-password': {
    // Answers take at least LIMITS.recoveryResponseFloorMs, plus SES's time for an account.
    ...SMALL,
    timeoutSeconds: 10,
    table: grants({ account: ['dynamodb:GetItem'], resetToken: ['dynamodb:PutItem'] }, RESERVES_MAIL),
    sendsMail: true,
    description: 'POST /password/forgot',
  },
  'reset-password': {
    ...BCRYPT,
    table: grants(REVOKES_ALL_SESSIONS, {
      // Read the token, delete it once spent.
      resetToken: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
      // Spending is a conditional update of the quota item that names the live reset token.
      mailQuota: ['dynamodb:UpdateItem'],
      // The account the token names, then its new hash (a conditional update).
      account: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    }),
    description: 'POST /password/reset',
  },
  'verify-email': {
    ...SMALL,
    table: { verifyToken: ['dynamodb:GetItem', 'dynamodb:DeleteItem'], account: ['dynamodb:UpdateItem'] },
    description: 'POST /verify-email',
  },
  'resend-verification': {
    ...SMALL,
    timeoutSeconds: 10,
    table: grants({ account: ['dynamodb:GetItem'], verifyToken: ['dynamodb:PutItem'] }, RESERVES_MAIL),
    sendsMail: true,
    description: 'POST /verify-email/resend',
  },
  'openid-configuration': { ...SMALL, description: 'GET /.well-known/openid-configuration' },
  openapi: { ...SMALL, description: 'GET /openapi.json' },
  profile: { ...SMALL, table: READS_ACCOUNT_BY_ID, description: 'GET /api/profile' },
  'create-order': { ...SMALL, table: grants(READS_ACCOUNT_BY_ID, { order: ['dynamodb:PutItem'] }), description: 'POST /api/orders' },
  'list-orders': { ...SMALL, table: { order: ['dynamodb:Query'] }, description: 'GET /api/orders' },
  'change-password': {
    ...BCRYPT,
    table: grants(READS_ACCOUNT_BY_ID, CHECKS_PASSWORD, REVOKES_ALL_SESSIONS, {
      // The new hash (a conditional update; GetItem rereads the account when its answer was lost).
      account: ['dynamodb:UpdateItem'],
      // One BatchWriteItem stores the new session: its family and its first token.
      refreshFamily: ['dynamodb:BatchWriteItem'],
      refreshToken: ['dynamodb:BatchWriteItem'],
    }),
    signingKey: true,
    // An issuer, like login: it signs only with a key published long enough.
    publicKeys: true,
    description: 'POST /api/password',
  },
  'mfa-totp-enrol': { ...SMALL, table: grants(READS_ACCOUNT_BY_ID, { totp: ['dynamodb:UpdateItem'] }), totpKey: true, description: 'POST /api/mfa/totp' },
  'mfa-totp-confirm': {
    ...SMALL,
    // The pending secret is read and activated; then the account's `mfa` flag is set.
    table: grants(READS_ACCOUNT_BY_ID, { totp: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], account: ['dynamodb:UpdateItem'] }),
    totpKey: true,
    description: 'POST /api/mfa/totp/confirm',
  },
  'mfa-totp-disable': {
    ...BCRYPT,
    table: grants(READS_ACCOUNT_BY_ID, CHECKS_PASSWORD, { totp: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], account: ['dynamodb:UpdateItem'] }),
    totpKey: true,
    description: 'DELETE /api/mfa/totp',
  },
  'list-sessions': { ...SMALL, table: { refreshFamily: ['dynamodb:Query'] }, description: 'GET /api/sessions' },
  'revoke-session': { ...SMALL, table: { refreshFamily: ['dynamodb:UpdateItem'] }, description: 'DELETE /api/sessions/{id}' },
  'revoke-all-sessions': { ...SMALL, table: REVOKES_ALL_SESSIONS, description: 'POST /api/sessions/revoke-all' },
  'delete-profile': {
    ...BCRYPT,
    timeoutSeconds: 15,
    // The password check, then what an admin delete does.
    table: grants(READS_ACCOUNT_BY_ID, CHECKS_PASSWORD, DELETES_USER),
    description: 'DELETE /api/profile',
  },
  admin: { ...SMALL, description: 'GET /api/admin' },
  // Admin handlers re-read the caller's own account (by `sub`) before acting.
  'list-users': { ...SMALL, table: READS_ACCOUNT_BY_ID, index: true, description: 'GET /api/users' },
  'set-user-role': { ...SMALL, table: grants(READS_ACCOUNT_BY_ID, { account: ['dynamodb:UpdateItem'] }), description: 'PUT /api/users/{id}/role' },
  'delete-user': {
    ...SMALL,
    timeoutSeconds: 15,
    table: grants(READS_ACCOUNT_BY_ID, DELETES_USER),
    description: 'DELETE /api/users/{id}',
  },
  // The caller's re-check and the target's existence are both reads of an account by id.
  'revoke-user-sessions': { ...SMALL, table: grants(READS_ACCOUNT_BY_ID, REVOKES_ALL_SESSIONS), description: 'DELETE /api/users/{id}/sessions' },
  // Decisions are sub-millisecond (billed 1 ms at any size): memory buys cold-start CPU, at ~$0.013 per million invocations. docs/performance.md.
  authorizer: { memoryMb: 1024, timeoutSeconds: 5, publicKeys: true, description: 'API Gateway TOKEN authorizer' },
  'rotate-keys': { memoryMb: 256, timeoutSeconds: 30, rotatesKeys: true, description: 'Secrets Manager rotation of the signing key' },
};
