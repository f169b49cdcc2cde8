/**
 * Every handler's real DynamoDB traffic against its declared item types:
 * the local stack checks each call a handler makes against the statements
 * the stack deploys for that function (local/table-grants.ts), so a code
 * change that touches an item type its FUNCTION_SPECS entry does not list
 * fails here (and answers 503 in `npm start` and every HTTP test), not
 * first in AWS.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { itemTypeOf, keys } from '../../lambdas/contract/table-schema';
import type { FunctionName } from '../../lambdas/contract/routes';
import { keyOf } from '../../lambdas/edge/dynamo';
import { asFunction } from '../../local/table-grants';
import { context, proxyEvent, withCaller } from '../support/events';
import { codeAt, stepAt } from '../../lambdas/domain/totp';
import { ADMIN, ALICE, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';
import { LINK_PARAMETERS } from '../../lambdas/domain/recovery';
import { outbox, tokenIn } from '../support/outbox';

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack();
});

afterAll(async () => {
  await running.stack.stop();
});

const TABLE_FUNCTIONS = (Object.keys(FUNCTION_SPECS) as FunctionName[]).filter((name) => FUNCTION_SPECS[name].table);

/** The from-env module the local stack's handlers share (loaded by the stack, so the same instance). */
async function sharedDb() {
  const { dbFromEnv } = await import('../../lambdas/wiring/from-env');
  return dbFromEnv();
}

describe('the local stack applies each function’s deployed DynamoDB grants', () => {
  it('lets every handler do everything the contract needs, with every call inside its function’s item types', async () => {
    const { api, stack } = running;
    const ok = (response: { status: number; text: string }, status: number) => expect([response.status, response.text]).toEqual([status, expect.any(String)]);

    // register, a duplicate, login (with a failure first: the lockout counter, then its reset), refresh, a replay within
    // the reuse interval, reuse of an older ancestor, logout.
    const email = uniqueEmail('grants');
    const password = strongPassword();
    const created = await api('POST', '/register', { body: { email, password } });
    ok(created, 201);
    ok(await api('POST', '/register', { body: { email, password } }), 409);
    ok(await api('POST', '/login', { body: { email, password: `${password}-wrong` } }), 401);
    const first = await login(api, email, password);
    const second = (await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } })).json;
    ok(await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } }), 200);
    ok(await api('POST', '/refresh', { body: { refreshToken: second.refreshToken } }), 200);
    ok(await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } }), 401);
    const session = await login(api, email, password);
    ok(await api('POST', '/logout', { body: { refreshToken: session.refreshToken } }), 204);

    // The session controls: list, revoke one, sign out everywhere, a wrong and a right password change.
    const listed = await login(api, email, password);
    const sessions = (await api('GET', '/api/sessions', { token: listed.accessToken })).json.sessions as { id: string }[];
    ok(await api('DELETE', `/api/sessions/${sessions[0]!.id}`, { token: listed.accessToken }), 204);
    ok(await api('POST', '/api/sessions/revoke-all', { token: listed.accessToken }), 204);
    ok(await api('POST', '/api/password', { token: listed.accessToken, body: { currentPassword: `${password}-wrong`, newPassword: `${password}-new` } }), 401);
    ok(await api('POST', '/api/password', { token: listed.accessToken, body: { currentPassword: password, newPassword: `${password}-new` } }), 200);

    // The recovery routes: a reset (forgot, then the link from the outbox), verification and its resend.
    const recovering = { email: uniqueEmail('grants-recovery'), password: strongPassword() };
    ok(await api('POST', '/register', { body: recovering }), 201);
    ok(await api('POST', '/verify-email/resend', { body: { email: recovering.email } }), 202);
    ok(await api('POST', '/verify-email', { body: { token: tokenIn(outbox(running.dataDir, recovering.email)[0]!, LINK_PARAMETERS.emailVerification) } }), 200);
    ok(await api('POST', '/password/forgot', { body: { email: recovering.email } }), 202);
    const resetMail = outbox(running.dataDir, recovering.email).find((m) => m.text.includes(LINK_PARAMETERS.passwordReset))!;
    ok(await api('POST', '/password/reset', { body: { token: tokenIn(resetMail, LINK_PARAMETERS.passwordReset), newPassword: strongPassword('reset') } }), 200);

    // profile, orders (a second page by cursor), the admin routes, and a delete that cascades over families and orders.
    ok(await api('GET', '/api/profile', { token: second.accessToken }), 200);
    for (const sku of ['a', 'b']) ok(await api('POST', '/api/orders', { token: second.accessToken, body: { items: [{ sku, quantity: 1 }] } }), 201);
    const page = (await api('GET', '/api/orders?limit=1', { token: second.accessToken })).json;
    ok(await api('GET', `/api/orders?limit=1&cursor=${page.nextCursor}`, { token: second.accessToken }), 200);
    const admin = await login(api, ADMIN.email, ADMIN.password);
    ok(await api('GET', '/api/users?limit=1', { token: admin.accessToken }), 200);
    ok(await api('PUT', `/api/users/${created.json.user.id}/role`, { token: admin.accessToken, body: { role: 'admin' } }), 200);
    ok(await api('DELETE', `/api/users/${created.json.user.id}/sessions`, { token: admin.accessToken }), 204);
    ok(await api('DELETE', `/api/users/${created.json.user.id}`, { token: admin.accessToken }), 204);

    // A user deleting their own account (a wrong password first), with a session, an order and TOTP to cascade over.
    const own = { email: uniqueEmail('grants-own'), password: strongPassword() };
    ok(await api('POST', '/register', { body: own }), 201);
    const ownSession = await login(api, own.email, own.password);
    // TOTP: enrol, confirm, sign in with a wrong code then a right one, turn it off, enrol again (the delete removes it).
    const totp = async () => {
      const { secret } = (await api('POST', '/api/mfa/totp', { token: ownSession.accessToken })).json as { secret: string };
      ok(await api('POST', '/api/mfa/totp/confirm', { token: ownSession.accessToken, body: { code: codeAt(secret, stepAt(Date.now()) - 1) } }), 200);
      return secret;
    };
    const secret = await totp();
    const challenge = (await api('POST', '/login', { body: own })).json.challenge as string;
    ok(await api('POST', '/login/mfa', { body: { challenge, code: codeAt(secret, stepAt(Date.now()) + 5) } }), 401);
    ok(await api('POST', '/login/mfa', { body: { challenge, code: codeAt(secret, stepAt(Date.now())) } }), 200);
    ok(await api('DELETE', '/api/mfa/totp', { token: ownSession.accessToken, body: { password: own.password, code: codeAt(secret, stepAt(Date.now()) + 1) } }), 204);
    await totp();
    ok(await api('POST', '/api/orders', { token: ownSession.accessToken, body: { items: [{ sku: 'c', quantity: 1 }] } }), 201);
    ok(await api('DELETE', '/api/profile', { token: ownSession.accessToken, body: { password: `${own.password}-wrong` } }), 401);
    ok(await api('DELETE', '/api/profile', { token: ownSession.accessToken, body: { password: own.password } }), 204);

    expect(stack.tableAccess.denied).toEqual([]);
    expect(TABLE_FUNCTIONS.filter((name) => (stack.tableAccess.counts[name]?.allowed ?? 0) === 0)).toEqual([]);
    expect(stack.tableAccess.unscoped).toBe(0);
  });

  it('refuses a call outside the function’s item types as IAM would: list-orders reading an account, create-order overwriting one', async () => {
    const db = await sharedDb();
    const account = keyOf(keys.account(ALICE.email));

    await expect(asFunction('list-orders', () => db.client.send(new GetItemCommand({ TableName: db.tableName, Key: account })))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('is not authorized to perform: dynamodb:GetItem'),
    });
    await expect(
      asFunction('create-order', () => db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...account, role: { S: 'admin' } } }))),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });

    // Nothing was written: alice is still a user with her password.
    const alice = await login(running.api, ALICE.email, ALICE.password);
    expect(JSON.parse(Buffer.from(alice.accessToken.split('.')[1]!, 'base64url').toString()).role).toBe('user');
    const denied = running.stack.tableAccess.denied.slice(-2).map(({ fn, request }) => [fn, request.action, request.leadingKeys?.map(itemTypeOf)]);
    expect(denied).toEqual([
      ['list-orders', 'dynamodb:GetItem', ['account']],
      ['create-order', 'dynamodb:PutItem', ['account']],
    ]);
  });

  it('answers 503 when a handler touches an item type its function may not: the profile code run as list-orders', async () => {
    const { handler } = (await import('../../lambdas/handlers/profile')) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }> };
    const aliceId = (await running.api('GET', '/api/profile', { token: (await login(running.api, ALICE.email, ALICE.password)).accessToken })).json.user.id;
    const event = withCaller(proxyEvent({ httpMethod: 'GET', resource: '/api/profile', path: '/api/profile' }), aliceId, 'user');

    const asProfile = await asFunction('profile', () => handler(event, context('wristband-profile')));
    const asListOrders = await asFunction('list-orders', () => handler(event, context('wristband-profile')));

    expect(asProfile.statusCode).toBe(200);
    expect([asListOrders.statusCode, JSON.parse(asListOrders.body).error]).toEqual([503, 'service_unavailable']);
    expect(running.stack.tableAccess.denied.at(-1)).toMatchObject({ fn: 'list-orders', request: { action: 'dynamodb:GetItem' } });
  });
});
