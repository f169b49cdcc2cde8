/**
 * No partial writes: the real handlers against dynalite behind a
 * fault-injecting proxy (test/support/dynamo-proxy.ts). A write that fails
 * half-way leaves either the old state or a state the next attempt
 * finishes, never a half-created user or two usable refresh tokens; and a
 * write that landed but lost its answer (the SDK then retries it) is not
 * turned into an error.
 */
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Users } from '../../../lambdas/domain/users';
import { getN, getS, keyOf } from '../../../lambdas/edge/dynamo';
import type { FunctionName } from '../../../lambdas/contract/routes';
import { keys } from '../../../lambdas/contract/table-schema';
import { asFunction, enforceTableGrants, type TableAccessLog } from '../../../local/table-grants';
import { DynamoProxy, INTERNAL_ERROR, itemKeyOf, type DynamoRequestBody, type Fault } from '../../support/dynamo-proxy';
import { setUpEnvironment, type TestEnvironment } from '../../support/environment';
import { proxyEvent, withCaller, routed } from '../../support/events';
import { strongPassword, uniqueEmail } from '../../support/local-stack';
import { logger } from '../../../lambdas/telemetry/logger';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

let env: TestEnvironment;
let proxy: DynamoProxy;
let grants: TableAccessLog;
const h = {} as Record<'register' | 'login' | 'refresh' | 'profile' | 'createOrder' | 'listOrders' | 'listUsers' | 'deleteUser' | 'changePassword', Handler>;
/** A real admin account: admin routes re-read their caller. */
let adminId: string;
/** Functions some test called: a run of a few tests (jest -t, Stryker's per-test runs) checks only those. */
const invoked = new Set<FunctionName>();

beforeAll(async () => {
  env = await setUpEnvironment();
  proxy = await DynamoProxy.start(env.dynamoEndpoint);
  adminId = (await new Users(env.db).create({ email: uniqueEmail('admin'), role: 'admin', passwordHash: '$2b$04$x' }, new Date().toISOString())).id;
  // The handlers talk to DynamoDB through the proxy; the test reads dynalite directly.
  process.env.DYNAMODB_ENDPOINT = proxy.endpoint;
  // Each handler runs as its function, so its calls (the recovery paths below included) are checked against its grants.
  const load = async (name: FunctionName): Promise<Handler> => {
    const handler = routed(name, ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
    return (event) => {
      invoked.add(name);
      return asFunction(name, () => handler(event));
    };
  };
  Object.assign(h, {
    register: await load('register'),
    login: await load('login'),
    refresh: await load('refresh'),
    profile: await load('profile'),
    createOrder: await load('create-order'),
    listOrders: await load('list-orders'),
    listUsers: await load('list-users'),
    deleteUser: await load('delete-user'),
    changePassword: await load('change-password'),
  });
  grants = enforceTableGrants((await import('../../../lambdas/wiring/from-env')).dbFromEnv());
});

afterEach(() => {
  proxy.clear();
  // Every DynamoDB call the handlers made, on every path, was inside their functions' item types (lib/function-specs.ts).
  expect(grants.denied).toEqual([]);
});

afterAll(async () => {
  await proxy.stop();
  // The check above was live: every handler's calls went through it.
  const checked = (['register', 'login', 'refresh', 'profile', 'create-order', 'delete-user', 'change-password'] as const)
    .filter((name) => invoked.has(name))
    .map((name) => [name, (grants.counts[name]?.allowed ?? 0) > 0]);
  expect(checked.filter(([, seen]) => !seen)).toEqual([]);
});

const post = (json: unknown) => proxyEvent({ httpMethod: 'POST', json });
const body = (response: APIGatewayProxyResult) => (response.body ? JSON.parse(response.body) : undefined);
const asAdmin = (event: APIGatewayProxyEvent) => withCaller(event, adminId, 'admin');

function expectUnavailable(response: APIGatewayProxyResult) {
  expect([response.statusCode, body(response)?.error, response.headers?.['Retry-After']]).toEqual([503, 'service_unavailable', '1']);
}

async function register(email = uniqueEmail(), password = strongPassword()) {
  const response = await h.register(post({ email, password }));
  expect(response.statusCode).toBe(201);
  return { email, password, id: body(response).user.id as string };
}

async function usersWithEmail(email: string): Promise<unknown[]> {
  const listed = body(await h.listUsers(asAdmin(proxyEvent({ queryStringParameters: { limit: '100' } }))));
  return listed.users.filter((u: { email: string }) => u.email === email);
}

/** Refresh tokens of a family that would still be accepted: unused and unexpired. */
async function liveTokensOf(familyId: string): Promise<string[]> {
  const out = await env.db.client.send(
    new ScanCommand({ TableName: env.tableName, FilterExpression: 'familyId = :f', ExpressionAttributeValues: { ':f': { S: familyId } }, ConsistentRead: true }),
  );
  const now = Math.floor(Date.now() / 1000);
  return (out.Items ?? []).filter((item) => getN(item, 'usedAt') === undefined && (getN(item, 'expiresAt') ?? 0) > now).map((item) => getS(item, 'pk') as string);
}

async function familyOf(refreshToken: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(refreshToken).digest('hex');
  const out = await env.db.client.send(new GetItemCommand({ TableName: env.tableName, Key: keyOf(keys.refreshToken(hash)), ConsistentRead: true }));
  return getS(out.Item, 'familyId') as string;
}

/** A write that reserves a login attempt (not the give-back of a successful one). */
const isReservation = (b: DynamoRequestBody) => itemKeyOf(b)?.startsWith('LOCK#') === true && /SET attempts = :one|ADD attempts :one/.test(b.UpdateExpression ?? '');
const CONDITION_FAILED: Fault = { kind: 'error', status: 400, type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' };

/** The bodies of the calls of `operation` that pass `keep`, as they go by (a rule that never faults). */
function watch(operation: string, keep: (b: DynamoRequestBody) => boolean): DynamoRequestBody[] {
  const seen: DynamoRequestBody[] = [];
  proxy.inject({
    operation,
    // Records the matching requests and faults none of them.
    when: (b) => {
      if (keep(b)) seen.push(b);
      return false;
    },
    fault: INTERNAL_ERROR,
  });
  return seen;
}
const isLockItem = (b: DynamoRequestBody) => itemKeyOf(b)?.startsWith('LOCK#') === true;

/**
 * What `act` had the handlers' logger write, as `{ level, message, ...attributes }`. Tests run the logger SILENT,
 * set once at import (log-secrets.test.ts checks the written JSON), so this listens at the logger's methods.
 */
async function logsOf(act: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const spies = (['info', 'warn', 'error'] as const).map((level) =>
    jest.spyOn(logger, level).mockImplementation(((message: unknown, attributes?: object) => {
      lines.push({ level: level.toUpperCase(), message, ...attributes });
    }) as never),
  );
  try {
    await act();
    return lines;
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

async function attemptsOf(email: string): Promise<number | undefined> {
  const out = await env.db.client.send(new GetItemCommand({ TableName: env.tableName, Key: keyOf(keys.lockout(email)), ConsistentRead: true }));
  return getN(out.Item, 'attempts');
}

async function loginPair() {
  const { email, password } = await register();
  const response = await h.login(post({ email, password }));
  expect(response.statusCode).toBe(200);
  return body(response) as { accessToken: string; refreshToken: string };
}

describe('registration', () => {
  it('leaves no user behind when the account write fails, and the email can register again', async () => {
    const email = uniqueEmail('half');
    const password = strongPassword();
    proxy.inject({ operation: 'PutItem', when: (b) => itemKeyOf(b)?.startsWith('EMAIL#') === true, times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.register(post({ email, password })));
    proxy.clear();

    // No account: no login, nobody listed, and the id pointer written first names no user.
    expect((await env.db.client.send(new GetItemCommand({ TableName: env.tableName, Key: keyOf(keys.account(email)), ConsistentRead: true }))).Item).toBeUndefined();
    expect(body(await h.login(post({ email, password }))).error).toBe('invalid_credentials');
    expect(await usersWithEmail(email)).toEqual([]);
    const pointers = await env.db.client.send(
      new ScanCommand({ TableName: env.tableName, FilterExpression: 'email = :e AND sk = :p', ExpressionAttributeValues: { ':e': { S: email }, ':p': { S: 'PROFILE' } } }),
    );
    expect(pointers.Items).toHaveLength(1);
    const orphan = getS(pointers.Items?.[0], 'pk')?.replace('USER#', '') as string;
    await expect(new Users(env.db).accountById(orphan)).resolves.toBeUndefined();
    expect((await h.profile(withCaller(proxyEvent(), orphan, 'user'))).statusCode).toBe(404);

    const again = await h.register(post({ email, password }));
    expect(again.statusCode).toBe(201);
    expect(await usersWithEmail(email)).toHaveLength(1);
    expect((await h.login(post({ email, password }))).statusCode).toBe(200);
  });

  it.each([
    ['the id pointer', 'USER#'],
    ['the account', 'EMAIL#'],
  ])('succeeds once when the write of %s landed but its answer was lost', async (_what, prefix) => {
    const email = uniqueEmail('lost');
    proxy.inject({ operation: 'PutItem', when: (b) => itemKeyOf(b)?.startsWith(prefix) === true, fault: { kind: 'lose-answer' } });
    const lostBefore = proxy.faulted('lose-answer');

    const response = await h.register(post({ email, password: strongPassword() }));

    expect(response.statusCode).toBe(201);
    expect(proxy.faulted('lose-answer')).toBe(lostBefore + 1);
    expect(await usersWithEmail(email)).toHaveLength(1);
    expect((await h.profile(withCaller(proxyEvent(), body(response).user.id, 'user'))).statusCode).toBe(200);
  });
});

describe('orders', () => {
  it('stores exactly one order when the write landed but its answer was lost', async () => {
    const { id } = await register();
    proxy.inject({ operation: 'PutItem', fault: { kind: 'lose-answer' } });

    const response = await h.createOrder(withCaller(proxyEvent({ httpMethod: 'POST', json: { items: [{ sku: 'tee', quantity: 1 }] } }), id, 'user'));

    expect(response.statusCode).toBe(201);
    const listed = body(await h.listOrders(withCaller(proxyEvent(), id, 'user')));
    expect(listed.orders.map((o: { id: string }) => o.id)).toEqual([body(response).order.id]);
  });
});

describe('refresh', () => {
  it('keeps the old token usable and no other token live when marking it used fails', async () => {
    const pair = await loginPair();
    const family = await familyOf(pair.refreshToken);
    proxy.inject({ operation: 'UpdateItem', when: (b) => /usedAt/.test(b.UpdateExpression ?? ''), times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.refresh(post({ refreshToken: pair.refreshToken })));
    proxy.clear();

    // Exactly one usable token: the one the client holds (the successor it never received was expired again).
    expect(await liveTokensOf(family)).toHaveLength(1);
    const retried = await h.refresh(post({ refreshToken: pair.refreshToken }));
    expect(retried.statusCode).toBe(200);
    expect(await liveTokensOf(family)).toHaveLength(1);
    expect((await h.refresh(post({ refreshToken: body(retried).refreshToken }))).statusCode).toBe(200);
  });

  it('keeps the old token usable when the successor cannot be written', async () => {
    const pair = await loginPair();
    const family = await familyOf(pair.refreshToken);
    proxy.inject({ operation: 'PutItem', when: (b) => itemKeyOf(b)?.startsWith('RT#') === true, times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.refresh(post({ refreshToken: pair.refreshToken })));
    proxy.clear();

    expect(await liveTokensOf(family)).toHaveLength(1);
    expect((await h.refresh(post({ refreshToken: pair.refreshToken }))).statusCode).toBe(200);
  });

  it('completes the rotation when marking the old token used landed but its answer was lost', async () => {
    const pair = await loginPair();
    const family = await familyOf(pair.refreshToken);
    proxy.inject({ operation: 'UpdateItem', when: (b) => /usedAt/.test(b.UpdateExpression ?? ''), fault: { kind: 'lose-answer' } });
    const lostBefore = proxy.faulted('lose-answer');

    const response = await h.refresh(post({ refreshToken: pair.refreshToken }));

    // The SDK's retry found the token used, by this very rotation: a success, not a reuse.
    expect(response.statusCode).toBe(200);
    expect(proxy.faulted('lose-answer')).toBe(lostBefore + 1);
    expect(await liveTokensOf(family)).toHaveLength(1);
    // Within the reuse interval the old token answers the same successor: still one live token.
    expect(body(await h.refresh(post({ refreshToken: pair.refreshToken }))).refreshToken).toBe(body(response).refreshToken);
    expect(await liveTokensOf(family)).toHaveLength(1);
    // After it, the old token is spent (its reuse revokes the family); the new one was the live one.
    const later = Date.now() + 11_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expect((await h.refresh(post({ refreshToken: pair.refreshToken }))).statusCode).toBe(401);
      expect((await h.refresh(post({ refreshToken: body(response).refreshToken }))).statusCode).toBe(401);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('changing the password', () => {
  it('keeps the old password working, with every session revoked, when the new hash cannot be stored; the retry succeeds', async () => {
    const { id, email, password } = await register();
    const first = body(await h.login(post({ email, password })));
    proxy.inject({ operation: 'UpdateItem', when: (b) => /passwordHash/.test(b.UpdateExpression ?? ''), times: Infinity, fault: INTERNAL_ERROR });
    const newPassword = strongPassword();
    const change = () => h.changePassword(withCaller(post({ currentPassword: password, newPassword }), id, 'user'));

    expectUnavailable(await change());
    proxy.clear();

    // Signed out everywhere already, but the password is unchanged: the same request again goes through.
    expect((await h.refresh(post({ refreshToken: first.refreshToken }))).statusCode).toBe(401);
    expect((await h.login(post({ email, password }))).statusCode).toBe(200);
    const retried = await change();
    expect(retried.statusCode).toBe(200);
    expect((await h.refresh(post({ refreshToken: body(retried).refreshToken }))).statusCode).toBe(200);
    expect(body(await h.login(post({ email, password }))).error).toBe('invalid_credentials');
  });

  it('succeeds when the write of the new hash landed but its answer was lost', async () => {
    const { id, email, password } = await register();
    proxy.inject({ operation: 'UpdateItem', when: (b) => /passwordHash/.test(b.UpdateExpression ?? ''), fault: { kind: 'lose-answer' } });
    const lostBefore = proxy.faulted('lose-answer');
    const newPassword = strongPassword();

    const response = await h.changePassword(withCaller(post({ currentPassword: password, newPassword }), id, 'user'));

    expect(response.statusCode).toBe(200);
    expect(proxy.faulted('lose-answer')).toBe(lostBefore + 1);
    expect((await h.login(post({ email, password: newPassword }))).statusCode).toBe(200);
  });
});

describe('login', () => {
  it('answers 503, never 401, when a failed attempt cannot be counted (no uncounted guesses)', async () => {
    const { email } = await register();
    proxy.inject({ operation: 'UpdateItem', when: (b) => itemKeyOf(b)?.startsWith('LOCK#') === true, times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.login(post({ email, password: 'a wrong password, long enough' })));
  });

  it('answers 503, not a 429 lockout, when the attempt cannot be counted for an email with earlier failures (an outage is no lockout)', async () => {
    const { email } = await register();
    expect(body(await h.login(post({ email, password: 'a wrong password, long enough' }))).error).toBe('invalid_credentials');
    proxy.inject({ operation: 'UpdateItem', when: isReservation, times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.login(post({ email, password: 'a wrong password, long enough' })));
    proxy.clear();
    expect(await attemptsOf(email)).toBe(1);
  });

  it('does not judge even the right password when its attempt cannot be reserved (503, no tokens)', async () => {
    const { email, password } = await register();
    proxy.inject({ operation: 'UpdateItem', when: isReservation, times: Infinity, fault: INTERNAL_ERROR });

    const response = await h.login(post({ email, password }));

    expectUnavailable(response);
    expect(response.body).not.toMatch(/accessToken/);
  });

  it('retries a reservation that lost a race, then counts the guess and answers 401 (never an uncounted 5xx)', async () => {
    const email = uniqueEmail('raced');
    await register(email);
    proxy.inject({ operation: 'UpdateItem', when: isReservation, fault: CONDITION_FAILED });

    const reads = watch('GetItem', isLockItem);

    expect(body(await h.login(post({ email, password: 'a wrong password, long enough' }))).error).toBe('invalid_credentials');
    expect(await attemptsOf(email)).toBe(1);
    expect(proxy.faulted('error')).toBeGreaterThan(0);
    // The item is read again after the lost race, strongly consistent: a stale copy could show the state the write
    // just lost to, and every round would lose again until the 503 (dynalite is always consistent; DynamoDB is not).
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((b) => b.ConsistentRead)).toEqual(reads.map(() => true));
  });

  it('gives up with 503 after a bounded number of rounds when every reservation loses its race', async () => {
    const email = uniqueEmail('storm');
    await register(email);
    const reservations = watch('UpdateItem', isReservation);
    proxy.inject({ operation: 'UpdateItem', when: isReservation, times: Infinity, fault: CONDITION_FAILED });
    const before = proxy.calls.length;
    let response: APIGatewayProxyResult | undefined;
    const logs = await logsOf(async () => {
      response = await h.login(post({ email, password: 'a wrong password, long enough' }));
    });

    expectUnavailable(response!);
    const lockCalls = proxy.calls.slice(before).filter((c) => c.operation === 'UpdateItem' || c.operation === 'GetItem');
    expect(lockCalls.length).toBeGreaterThanOrEqual(2);
    // Five rounds of write-and-read again, then the 503.
    expect(reservations).toHaveLength(5);
    // The operator's log tells this storm apart from a DynamoDB outage.
    expect(logs).toContainEqual(expect.objectContaining({ message: 'dependency failure', reason: 'lockout counter contention' }));
  });

  it('answers a locked email from the read it makes anyway, writing nothing (a guessing burst costs no write capacity)', async () => {
    const { email, password } = await register();
    let locked = 0;
    for (let i = 0; i < 20 && locked === 0; i++) locked = (await h.login(post({ email, password: 'a wrong password, long enough' }))).statusCode === 429 ? 1 : 0;
    expect(locked).toBe(1);
    const writes = watch('UpdateItem', isLockItem);

    for (let i = 0; i < 5; i++) expect((await h.login(post({ email, password }))).statusCode).toBe(429);

    expect(writes).toEqual([]);
  });

  it('still logs in when giving back a successful attempt fails; the attempt stays counted', async () => {
    const { email, password } = await register();
    proxy.inject({ operation: 'UpdateItem', when: (b) => itemKeyOf(b)?.startsWith('LOCK#') === true && /:minusOne/.test(b.UpdateExpression ?? ''), times: Infinity, fault: INTERNAL_ERROR });

    const logs = await logsOf(async () => {
      expect((await h.login(post({ email, password }))).statusCode).toBe(200);
      proxy.clear();
      expect(await attemptsOf(email)).toBe(1);
      expect((await h.login(post({ email, password }))).statusCode).toBe(200);
      expect(await attemptsOf(email)).toBe(1);
    });
    const warnings = logs.filter((line) => line.level === 'WARN');
    // One warning for the operator, for the give-back that failed (not for the one that worked), naming the error only.
    expect(warnings).toEqual([expect.objectContaining({ message: 'lockout: could not give back a successful attempt', error: 'InternalServerError' })]);
  });

  it('warns nobody when a successful attempt\'s window is already over at the give-back (nothing left to give back)', async () => {
    const { email, password } = await register();
    // DynamoDB refuses the give-back's condition, as it does once the window has lapsed.
    proxy.inject({ operation: 'UpdateItem', when: (b) => isLockItem(b) && /:minusOne/.test(b.UpdateExpression ?? ''), fault: CONDITION_FAILED });
    const logs = await logsOf(async () => {
      expect((await h.login(post({ email, password }))).statusCode).toBe(200);
    });
    expect(logs.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('hands out no tokens when the session cannot be stored', async () => {
    const { email, password } = await register();
    // Login writes the family and its first token in one batch.
    proxy.inject({ operation: 'BatchWriteItem', times: Infinity, fault: INTERNAL_ERROR });

    const response = await h.login(post({ email, password }));

    expectUnavailable(response);
    expect(response.body).not.toMatch(/accessToken|refreshToken/);
  });
});

describe('deleting a user', () => {
  it('finishes on a second call when the Nth write of the first one fails', async () => {
    const { id, email, password } = await register();
    await h.createOrder(withCaller(proxyEvent({ httpMethod: 'POST', json: { items: [{ sku: 'tee', quantity: 1 }] } }), id, 'user'));
    // The first DeleteItem removes the account; the second, the id pointer, fails.
    proxy.inject({ operation: 'DeleteItem', nth: 2, times: Infinity, fault: INTERNAL_ERROR });

    expectUnavailable(await h.deleteUser(asAdmin(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id } }))));
    proxy.clear();

    // Already gone for every route...
    expect((await h.profile(withCaller(proxyEvent(), id, 'user'))).statusCode).toBe(404);
    expect(body(await h.login(post({ email, password }))).error).toBe('invalid_credentials');
    // ...and the retry removes what is left.
    expect((await h.deleteUser(asAdmin(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id } })))).statusCode).toBe(204);
    const partitions = [keys.userPointer(id).pk, keys.familyPartition(id), keys.orderPartition(id)];
    const leftovers = await env.db.client.send(
      new ScanCommand({
        TableName: env.tableName,
        FilterExpression: 'pk IN (:pointer, :families, :orders)',
        ExpressionAttributeValues: { ':pointer': { S: partitions[0]! }, ':families': { S: partitions[1]! }, ':orders': { S: partitions[2]! } },
      }),
    );
    expect(leftovers.Items).toEqual([]);
    expect((await h.deleteUser(asAdmin(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id } })))).statusCode).toBe(404);
  });
});
