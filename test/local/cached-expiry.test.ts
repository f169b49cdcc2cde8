/**
 * API Gateway keeps an authorizer's Allow for the cache TTL whatever the
 * token's `exp`. A token that expires while its decision is cached must
 * still be refused: the handlers check the `exp` the authorizer passed on.
 */
import { ADMIN, ALICE, login, startTestStack, type RunningStack } from '../support/local-stack';

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack({ ACCESS_TOKEN_TTL_SECONDS: '3', CLOCK_TOLERANCE_SECONDS: '0', AUTHORIZER_CACHE_TTL_SECONDS: '300' });
});

afterAll(async () => {
  await running.stack.stop();
  for (const name of ['ACCESS_TOKEN_TTL_SECONDS', 'CLOCK_TOLERANCE_SECONDS', 'AUTHORIZER_CACHE_TTL_SECONDS']) delete process.env[name];
});

it('refuses a token that expired after its authorizer decision was cached', async () => {
  const { accessToken } = await login(running.api, ALICE.email, ALICE.password);
  expect((await running.api('GET', '/api/profile', { token: accessToken })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 3100));
  const before = running.stack.gateway.stats.authorizerCacheHits;
  const response = await running.api('GET', '/api/profile', { token: accessToken });
  // The gateway served the cached Allow...
  expect(running.stack.gateway.stats.authorizerCacheHits).toBe(before + 1);
  // ...and the handler refused the expired token anyway.
  expect(response.status).toBe(401);
  expect(response.json.error).toBe('invalid_token');
  // RFC 6750: the client can tell "refresh now" from "log in again" without the body saying more.
  expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token expired"');
});

it('refuses an expired admin token behind a cached Allow on every admin route', async () => {
  const { accessToken } = await login(running.api, ADMIN.email, ADMIN.password);
  const someone = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';
  expect((await running.api('GET', '/api/users', { token: accessToken })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 3100));
  const before = running.stack.gateway.stats.authorizerCacheHits;
  const responses = [
    await running.api('GET', '/api/admin', { token: accessToken }),
    await running.api('GET', '/api/users', { token: accessToken }),
    await running.api('PUT', `/api/users/${someone}/role`, { token: accessToken, body: { role: 'admin' } }),
    await running.api('DELETE', `/api/users/${someone}`, { token: accessToken }),
  ];
  // Every one was let through by the cached decision...
  expect(running.stack.gateway.stats.authorizerCacheHits).toBe(before + responses.length);
  // ...and refused by its handler.
  expect(responses.map((r) => [r.status, r.json?.error])).toEqual(responses.map(() => [401, 'invalid_token']));
});
