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
import { getN, getS, keyOf } from '../../../lambdas/shared/dynamo';
import { keys } from '../../../lambdas/shared/table-schema';
import { DynamoProxy, INTERNAL_ERROR, itemKeyOf } from '../../support/dynamo-proxy';
import { setUpEnvironment, type TestEnvironment } from '../../support/environment';
import { proxyEvent, withCaller } from '../../support/events';
import { strongPassword, uniqueEmail } from '../../support/local-stack';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

let env: TestEnvironment;
let proxy: DynamoProxy;
const h = {} as Record<'register' | 'login' | 'refresh' | 'profile' | 'createOrder' | 'listOrders' | 'listUsers' | 'deleteUser' | 'changePassword', Handler>;
const ADMIN_ID = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';

beforeAll(async () => {
  env = await setUpEnvironment();
  proxy = await DynamoProxy.start(env.dynamoEndpoint);
  // The handlers talk to DynamoDB through the proxy; the test reads dynalite directly.
  process.env.DYNAMODB_ENDPOINT = proxy.endpoint;
  const load = async (name: string) => ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
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
});

afterEach(() => {
  proxy.clear();
});

afterAll(async () => {
  await proxy.stop();
});

const post = (json: unknown) => proxyEvent({ httpMethod: 'POST', json });
const body = (response: APIGatewayProxyResult) => (response.body ? JSON.parse(response.body) : undefined);
const asAdmin = (event: APIGatewayProxyEvent) => withCaller(event, ADMIN_ID, 'admin');

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
    const leftovers = await env.db.client.send(
      new ScanCommand({ TableName: env.tableName, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: keys.userPartition(id) } } }),
    );
    expect(leftovers.Items).toEqual([]);
    expect((await h.deleteUser(asAdmin(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id } })))).statusCode).toBe(404);
  });
});
