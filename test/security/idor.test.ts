/**
 * Insecure direct object references: a caller reaches only its own data.
 * Handlers take the user from the verified authorizer context (`sub`),
 * never from the request; the one piece of client-held state that names a
 * partition, the orders cursor, is checked against the caller.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { keys } from '../../lambdas/contract/table-schema';
import { setUpEnvironment } from '../support/environment';
import { proxyEvent, withCaller, routed } from '../support/events';
import { strongPassword } from '../support/local-stack';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
const h = {} as Record<'register' | 'createOrder' | 'listOrders' | 'profile', Handler>;
let alice: string;
let bob: string;

beforeAll(async () => {
  await setUpEnvironment();
  for (const [key, name] of [['register', 'register'], ['createOrder', 'create-order'], ['listOrders', 'list-orders'], ['profile', 'profile']] as const) {
    h[key] = routed(name, ((await import(`../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
  }
  const register = async (email: string) => JSON.parse((await h.register(proxyEvent({ httpMethod: 'POST', json: { email, password: strongPassword() } }))).body).user.id as string;
  alice = await register('idor-alice@example.com');
  bob = await register('idor-bob@example.com');
  for (let i = 0; i < 3; i++) await h.createOrder(withCaller(proxyEvent({ httpMethod: 'POST', json: { items: [{ sku: `alice-${i}`, quantity: 1 }] } }), alice, 'user'));
  await h.createOrder(withCaller(proxyEvent({ httpMethod: 'POST', json: { items: [{ sku: 'bob-0', quantity: 1 }] } }), bob, 'user'));
});

const list = (caller: string, query: Record<string, string> = {}) => h.listOrders(withCaller(proxyEvent({ queryStringParameters: query }), caller, 'user'));
const body = (r: APIGatewayProxyResult) => JSON.parse(r.body);

it('lists only the caller’s orders, whatever the query says', async () => {
  const response = await list(bob, { userId: alice, user: alice, sub: alice });
  expect(body(response).orders.map((o: { items: { sku: string }[] }) => o.items[0]!.sku)).toEqual(['bob-0']);
});

it('refuses another user’s cursor, so nobody pages through someone else’s orders', async () => {
  const alicePage = body(await list(alice, { limit: '1' }));
  expect(alicePage.nextCursor).toEqual(expect.any(String));
  const response = await list(bob, { limit: '1', cursor: alicePage.nextCursor });
  expect([response.statusCode, body(response).error]).toEqual([400, 'validation_error']);
});

it('refuses a forged cursor naming another user’s partition', async () => {
  const forged = Buffer.from(JSON.stringify(keys.order(alice, '9999-12-31T23:59:59.999Z', 'x'))).toString('base64url');
  const response = await list(bob, { cursor: forged });
  expect([response.statusCode, body(response).error]).toEqual([400, 'validation_error']);
});

it('reads the profile of the token’s subject only: ids elsewhere in the request are ignored', async () => {
  const response = await h.profile({ ...withCaller(proxyEvent({ queryStringParameters: { id: alice } }), bob, 'user'), pathParameters: { id: alice } });
  expect(body(response).user.email).toBe('idor-bob@example.com');
});
