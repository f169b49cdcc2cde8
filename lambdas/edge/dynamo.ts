/**
 * The DynamoDB client, created once per cold start, and the line between a
 * dependency failure (503, retry) and a bug (500).
 */
import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, type WriteRequest, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableConfig } from '../contract/config';
import { ServiceUnavailableError } from '../contract/errors';
import { TABLE } from '../contract/table-schema';

export interface Db {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Explicit timeouts: a hung DynamoDB must turn into a 503 well before the
 * Lambda timeout (three attempts of 1 s fit in the smallest, 5 s). DynamoDB
 * answers in milliseconds; a second is already an outage.
 */
const DEFAULT_TIMEOUT_MS = 1000;
const MAX_ATTEMPTS = 3;

export function createDb(config: TableConfig): Db {
  const timeout = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: MAX_ATTEMPTS,
    // Without throwOnRequestTimeout the SDK only logs a warning when the timeout passes, and keeps waiting.
    requestHandler: { requestTimeout: timeout, connectionTimeout: timeout, throwOnRequestTimeout: true },
    ...(config.endpoint
      ? {
          endpoint: config.endpoint,
          // Local emulators accept any credentials; real AWS uses the default chain.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  return { client, tableName: config.tableName };
}

/** Errors that mean "DynamoDB (or the road to it) failed", as opposed to our own mistakes. */
const DEPENDENCY_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceNotFoundException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  'UnrecognizedClientException',
  'AccessDeniedException',
]);

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const NETWORK_ERROR_IN_MESSAGE = new RegExp(`\\b(${[...NETWORK_ERROR_CODES].join('|')})\\b|socket hang up`);

export function isDependencyFailure(error: unknown): boolean {
  // Duck-typed, not instanceof: errors from Node's own sockets may come from another realm (jest's sandbox, bundlers).
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (e.name && DEPENDENCY_ERROR_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_ERROR_CODES.has(e.code)) return true;
  // The SDK's retry layer can rewrap a socket error into a bare Error that keeps only the message.
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && NETWORK_ERROR_IN_MESSAGE.test(message)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return false;
}

export function isConditionalCheckFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'ConditionalCheckFailedException';
}

type Item = Record<string, AttributeValue>;

/** A string attribute, or undefined if absent or of another type. */
export function getS(item: Item | undefined, name: string): string | undefined {
  const value = item?.[name];
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

/** A number attribute, or undefined if absent or of another type. */
export function getN(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name];
  if (!value || !('N' in value) || typeof value.N !== 'string') return undefined;
  const n = Number(value.N);
  return Number.isFinite(n) ? n : undefined;
}

export const S = (value: string) => ({ S: value });
export const N = (value: number) => ({ N: String(value) });

/** Turns `{pk: 'a', sk: 'b'}` into a DynamoDB key. */
export function keyOf(key: { pk: string; sk: string }): Item {
  return { [TABLE.partitionKey]: S(key.pk), [TABLE.sortKey]: S(key.sk) };
}

/** Condition fragments: the item does (not) exist yet. Use with `names()`. */
export const ITEM_ABSENT = 'attribute_not_exists(#pk)';
export const ITEM_PRESENT = 'attribute_exists(#pk)';

/** Expression attribute names, always including `#pk` for the partition key. */
export function names(extra: Record<string, string> = {}): Record<string, string> {
  return { '#pk': TABLE.partitionKey, ...extra };
}

export type { Item };

/** Strongly consistent batch read (one round trip when nothing is throttled); items in the order of `wanted`. */
export async function batchGetConsistent(db: Db, wanted: { pk: string; sk: string }[]): Promise<(Item | undefined)[]> {
  const found = new Map<string, Item>();
  const id = (pk: string | undefined, sk: string | undefined) => `${pk}\n${sk}`;
  let pending = wanted.map(keyOf);
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 4) throw new ServiceUnavailableError('batch read left keys unprocessed');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    const out = await db.client.send(new BatchGetItemCommand({ RequestItems: { [db.tableName]: { Keys: pending, ConsistentRead: true } } }));
    for (const item of out.Responses?.[db.tableName] ?? []) found.set(id(getS(item, TABLE.partitionKey), getS(item, TABLE.sortKey)), item);
    pending = (out.UnprocessedKeys?.[db.tableName]?.Keys ?? []) as Item[];
  }
  return wanted.map((key) => found.get(id(key.pk, key.sk)));
}

/**
 * Puts a new item under a key nobody else can name (a fresh UUID, 256
 * random bits), never overwriting. When an answer is lost (a timeout, a
 * reset connection) the SDK sends the put again; if the first one had
 * landed, the retry's condition fails. Under such a key that can only be
 * our own write, so it counts as done instead of failing the request.
 */
export async function putNew(db: Db, item: Item): Promise<void> {
  try {
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: item, ConditionExpression: ITEM_ABSENT, ExpressionAttributeNames: names() }));
  } catch (error) {
    if (!isConditionalCheckFailure(error)) throw error;
  }
}

/**
 * Writes puts and deletes in batches of 25, retrying what DynamoDB leaves
 * unprocessed with backoff: one SDK call (and one round trip) for up to 25
 * items when nothing is throttled. No conditions: for items whose keys are
 * new random ids, or that are being deleted.
 */
export async function batchWrite(db: Db, requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 5) throw new ServiceUnavailableError('batch write left items unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const out = await db.client.send(new BatchWriteItemCommand({ RequestItems: { [db.tableName]: pending } }));
      pending = out.UnprocessedItems?.[db.tableName] ?? [];
    }
  }
}

/**
 * Every item of one partition, a page at a time: a user's refresh families or
 * orders, each a partition of its own. `keysOnly` fetches just the key (what
 * a delete needs).
 */
export async function* partitionPages(db: Db, pk: string, options: { keysOnly?: boolean; consistent?: boolean } = {}): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: names(options.keysOnly ? { '#sk': TABLE.sortKey } : {}),
        ExpressionAttributeValues: { ':pk': S(pk) },
        ...(options.keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
        ...(options.consistent ? { ConsistentRead: true } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
