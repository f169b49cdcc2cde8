/**
 * Every environment variable in the contract's local-stack table is
 * honoured: started here with non-default values, checked over HTTP.
 */
import { decodeJwt } from 'jose';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDb } from '../../lambdas/edge/dynamo';
import { keys } from '../../lambdas/contract/table-schema';
import { keyOf } from '../../lambdas/edge/dynamo';
import { LOCAL_TABLE_NAME } from '../../local/stack';
import { ALICE, login, startTestStack, uniqueEmail, type RunningStack } from '../support/local-stack';

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack({
    ACCESS_TOKEN_TTL_SECONDS: '120',
    REFRESH_TOKEN_TTL_SECONDS: '2',
    CLOCK_TOLERANCE_SECONDS: '0',
    LOGIN_MAX_ATTEMPTS: '2',
    LOCKOUT_SECONDS: '2',
    BCRYPT_COST: '5',
    PASSWORD_MIN_LENGTH: '20',
    AUTHORIZER_CACHE_TTL_SECONDS: '0',
  });
});

afterAll(async () => {
  await running.stack.stop();
  for (const name of ['ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_SECONDS', 'CLOCK_TOLERANCE_SECONDS', 'LOGIN_MAX_ATTEMPTS', 'LOCKOUT_SECONDS', 'PASSWORD_MIN_LENGTH', 'AUTHORIZER_CACHE_TTL_SECONDS']) {
    delete process.env[name];
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('ACCESS_TOKEN_TTL_SECONDS sets expiresIn and exp', async () => {
  const pair = await login(running.api, ALICE.email, ALICE.password);
  expect(pair).toEqual(expect.objectContaining({ expiresIn: 120 }));
  const claims = decodeJwt(pair.accessToken);
  expect((claims.exp as number) - (claims.iat as number)).toBe(120);
});

it('PASSWORD_MIN_LENGTH raises the minimum', async () => {
  const response = await running.api('POST', '/register', { body: { email: uniqueEmail(), password: 'nineteen-characters' } });
  expect(response.status).toBe(400);
  expect(response.json.details).toEqual([{ field: 'password', message: 'must be at least 20 characters' }]);
  const ok = await running.api('POST', '/register', { body: { email: uniqueEmail(), password: 'twenty-characters-ok' } });
  expect(ok.status).toBe(201);
});

it('BCRYPT_COST is the cost of new hashes', async () => {
  const email = uniqueEmail();
  await running.api('POST', '/register', { body: { email, password: 'twenty-characters-ok' } });
  const db = createDb({ tableName: LOCAL_TABLE_NAME, endpoint: running.stack.dynamoEndpoint, region: 'local' });
  const out = await db.client.send(new GetItemCommand({ TableName: LOCAL_TABLE_NAME, Key: keyOf(keys.account(email)) }));
  expect(out.Item?.passwordHash?.S).toMatch(/^\$2b\$05\$/);
  db.client.destroy();
});

it('LOGIN_MAX_ATTEMPTS and LOCKOUT_SECONDS set when and how long an email locks', async () => {
  const email = uniqueEmail();
  const password = 'twenty-characters-ok';
  await running.api('POST', '/register', { body: { email, password } });
  await running.api('POST', '/login', { body: { email, password: 'wrong-password-here' } });
  await running.api('POST', '/login', { body: { email, password: 'wrong-password-here' } });
  const locked = await running.api('POST', '/login', { body: { email, password } });
  expect(locked.status).toBe(429);
  expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(2);
  await sleep(2100);
  expect((await running.api('POST', '/login', { body: { email, password } })).status).toBe(200);
});

it('REFRESH_TOKEN_TTL_SECONDS expires refresh tokens', async () => {
  const pair = await login(running.api, ALICE.email, ALICE.password);
  await sleep(2100);
  const response = await running.api('POST', '/refresh', { body: { refreshToken: pair.refreshToken } });
  expect(response.status).toBe(401);
  expect(response.json.error).toBe('invalid_token');
});

it('AUTHORIZER_CACHE_TTL_SECONDS=0 runs the authorizer for every request', async () => {
  const pair = await login(running.api, ALICE.email, ALICE.password);
  const before = { ...running.stack.gateway.stats };
  await running.api('GET', '/api/profile', { token: pair.accessToken });
  await running.api('GET', '/api/profile', { token: pair.accessToken });
  expect(running.stack.gateway.stats.authorizerInvocations - before.authorizerInvocations).toBe(2);
  expect(running.stack.gateway.stats.authorizerCacheHits).toBe(before.authorizerCacheHits);
});
