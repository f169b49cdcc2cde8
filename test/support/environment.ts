/**
 * Per-test-file wiring: a fresh table in the shared dynalite, a fresh local
 * key directory, and the environment the handlers read at import. Call
 * `setUpEnvironment()` in beforeAll, then import handlers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalKeys } from '../../lambdas/keys/local-keys';
import { createDb, type Db } from '../../lambdas/edge/dynamo';
import { WIRING_ENV } from '../../lambdas/contract/settings';
import { ensureTable } from '../../local/table';

export interface TestEnvironment {
  readonly db: Db;
  readonly tableName: string;
  readonly keysDir: string;
  readonly dynamoEndpoint: string;
}

export function dynaliteEndpoint(): string {
  const endpoint = process.env.DYNALITE_ENDPOINT;
  if (!endpoint) throw new Error('DYNALITE_ENDPOINT is not set: run tests through jest (globalSetup starts dynalite)');
  return endpoint;
}

/**
 * The DynamoDB timeout of domain-level tests: they fire 40 to 100 calls at once at the one dynalite of the run,
 * on a machine shared with other test workers, where a slow second is load (the local stack's rule, local/stack.ts).
 * Handler tests keep the deployed 1 s (the fault suites depend on it).
 */
const DOMAIN_TEST_DYNAMO_TIMEOUT_MS = 10_000;

/** Creates a table named after nothing in particular and points the environment at it. */
export async function createTestTable(): Promise<Db> {
  const tableName = `t-${randomUUID()}`;
  const db = createDb({ tableName, endpoint: dynaliteEndpoint(), region: 'local', timeoutMs: DOMAIN_TEST_DYNAMO_TIMEOUT_MS });
  await ensureTable(db);
  return db;
}

export async function setUpEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const db = await createTestTable();
  const keysDir = join(mkdtempSync(join(tmpdir(), 'wristband-keys-')), 'keys');
  await ensureLocalKeys(keysDir);
  Object.assign(process.env, {
    [WIRING_ENV.tableName]: db.tableName,
    [WIRING_ENV.dynamoEndpoint]: dynaliteEndpoint(),
    [WIRING_ENV.localKeysDir]: keysDir,
    AWS_REGION: 'local',
    // Tests may go below the deployed floor of 10; the deployed stack never does.
    BCRYPT_COST: '4',
    ...overrides,
  });
  return { db, tableName: db.tableName, keysDir, dynamoEndpoint: dynaliteEndpoint() };
}
