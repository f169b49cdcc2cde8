/**
 * What each function may do and how it runs, written once: the stack sizes
 * functions and writes their IAM policies from this table, the local stack
 * applies the same timeouts, and tests check the synthesized policies
 * against it. Plain data: no CDK imports, so local code can read it.
 */
import type { FunctionName } from '../lambdas/shared/routes';

/** DynamoDB actions, exactly as IAM names them. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:Query';

export interface FunctionSpec {
  /** bcrypt is CPU-bound and Lambda CPU scales with memory: 1769 MB is one full vCPU. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Actions on the base table (its items, password hashes included). */
  readonly table?: readonly TableAction[];
  /** `dynamodb:Query` on the users index only: it projects the public user fields, never a hash. */
  readonly index?: boolean;
  /** Reads the published public keys (SSM parameter). */
  readonly publicKeys?: boolean;
  /** Reads the private signing key (Secrets Manager): token issuers only. */
  readonly signingKey?: boolean;
  /** Rotates the signing key: writes the secret and the public key parameter. */
  readonly rotatesKeys?: boolean;
  readonly description: string;
}

const SMALL = { memoryMb: 256, timeoutSeconds: 5 } as const;
/** One vCPU: a bcrypt compare at cost 11 takes ~0.2 s here, and twice that at half a vCPU. */
const BCRYPT = { memoryMb: 1769, timeoutSeconds: 10 } as const;

export const FUNCTION_SPECS: Record<FunctionName, FunctionSpec> = {
  root: { ...SMALL, description: 'GET / liveness' },
  register: { ...BCRYPT, table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], description: 'POST /register' },
  login: {
    ...BCRYPT,
    table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    signingKey: true,
    description: 'POST /login',
  },
  refresh: {
    ...SMALL,
    table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    signingKey: true,
    description: 'POST /refresh',
  },
  logout: { ...SMALL, table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], description: 'POST /logout' },
  jwks: { ...SMALL, publicKeys: true, description: 'GET /.well-known/jwks.json' },
  profile: { ...SMALL, table: ['dynamodb:GetItem'], description: 'GET /api/profile' },
  'create-order': { ...SMALL, table: ['dynamodb:GetItem', 'dynamodb:PutItem'], description: 'POST /api/orders' },
  'list-orders': { ...SMALL, table: ['dynamodb:Query'], description: 'GET /api/orders' },
  'change-password': {
    ...BCRYPT,
    // Account and lockout reads, the new hash, the lockout count, revoking each family, the new session's batch.
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    signingKey: true,
    description: 'POST /api/password',
  },
  'list-sessions': { ...SMALL, table: ['dynamodb:Query'], description: 'GET /api/sessions' },
  'revoke-session': { ...SMALL, table: ['dynamodb:UpdateItem'], description: 'DELETE /api/sessions/{id}' },
  'revoke-all-sessions': { ...SMALL, table: ['dynamodb:Query', 'dynamodb:UpdateItem'], description: 'POST /api/sessions/revoke-all' },
  'delete-profile': {
    ...BCRYPT,
    timeoutSeconds: 15,
    // The password check (account, lockout), then what an admin delete does.
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    description: 'DELETE /api/profile',
  },
  admin: { ...SMALL, description: 'GET /api/admin' },
  'list-users': { ...SMALL, index: true, description: 'GET /api/users' },
  'set-user-role': { ...SMALL, table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], description: 'PUT /api/users/{id}/role' },
  'delete-user': {
    ...SMALL,
    timeoutSeconds: 15,
    table: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    description: 'DELETE /api/users/{id}',
  },
  'revoke-user-sessions': { ...SMALL, table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], description: 'DELETE /api/users/{id}/sessions' },
  // Decisions are sub-millisecond (billed 1 ms at any size): memory buys cold-start CPU, at ~$0.013 per million invocations. docs/performance.md.
  authorizer: { memoryMb: 1024, timeoutSeconds: 5, publicKeys: true, description: 'API Gateway TOKEN authorizer' },
  'rotate-keys': { memoryMb: 256, timeoutSeconds: 30, rotatesKeys: true, description: 'Secrets Manager rotation of the signing key' },
};
