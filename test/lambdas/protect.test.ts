/**
 * protectedHandler behind a cached Allow: API Gateway reuses one token's
 * Allow for every route the policy lists and never looks at `exp` again,
 * so the wrapper checks both against the function's own route table.
 */
import { protectedHandler } from '../../lambdas/protect';
import { errorBody } from '../../lambdas/contract/errors';
import { GATEWAY_RESPONSES } from '../../lambdas/contract/gateway-responses';
import { encodeRouteTable, ROUTES_ENV } from '../../lambdas/contract/route-table';
import { encodeRoleConfig, ROLES_ENV } from '../../lambdas/contract/roles';
import { proxyEvent } from '../support/events';

const ROLES = { roles: ['reader', 'editor'], registration: 'reader', createAdmin: 'editor', userManagers: ['editor'] };

beforeAll(() => {
  process.env[ROLES_ENV] = encodeRoleConfig(ROLES);
  process.env[ROUTES_ENV] = encodeRouteTable([
    { method: 'DELETE', path: '/api/articles/{id}', access: ['editor'] },
    { method: 'GET', path: '/api/articles/{id}', access: 'authenticated' },
  ]);
  process.env.CORS_ALLOW_ORIGIN = 'https://app.example.com';
});
afterAll(() => {
  for (const key of [ROLES_ENV, ROUTES_ENV, 'CORS_ALLOW_ORIGIN']) delete process.env[key];
});

const handler = protectedHandler(async (event, caller) => ({ id: event.pathParameters?.id, caller: caller.sub, role: caller.role }));

function call(role: string, options: { exp?: number; method?: string; resource?: string; amr?: string[] } = {}) {
  const exp = String(options.exp ?? Math.floor(Date.now() / 1000) + 60);
  const amr = JSON.stringify(options.amr ?? ['pwd']);
  return handler(
    proxyEvent({
      httpMethod: options.method ?? 'DELETE',
      resource: options.resource ?? '/api/articles/{id}',
      pathParameters: { id: '42' },
      requestContext: { authorizer: { principalId: 'u1', role, jti: 'j', exp, amr } } as never,
    }),
  );
}

it('runs the function for a role the route names, and sends its value as 200 JSON with CORS', async () => {
  const response = await call('editor');
  expect([response.statusCode, JSON.parse(response.body), response.headers?.['Access-Control-Allow-Origin']]).toEqual([
    200,
    { id: '42', caller: 'u1', role: 'editor' },
    'https://app.example.com',
  ]);
});

it('refuses another configured role with 403 in the contract shape, whatever the cached policy let through', async () => {
  const response = await call('reader');
  expect([response.statusCode, JSON.parse(response.body).error, response.headers?.['Access-Control-Allow-Origin']]).toEqual([403, 'forbidden', 'https://app.example.com']);
});

it('refuses a token that expired behind a cached Allow with 401 and a Bearer challenge', async () => {
  const response = await call('editor', { exp: Math.floor(Date.now() / 1000) - 3600 });
  expect([response.statusCode, JSON.parse(response.body).error]).toEqual([401, 'invalid_token']);
  expect(response.headers?.['WWW-Authenticate']).toContain('invalid_token');
});

it('refuses a route missing from its table (403), never guessing', async () => {
  expect((await call('editor', { method: 'PUT' })).statusCode).toBe(403);
  expect((await call('editor', { resource: '/api/other/{id}' })).statusCode).toBe(403);
});

it('refuses a role the configuration does not know (401: the context does not decode)', async () => {
  expect((await call('admin')).statusCode).toBe(401);
});

describe('with a second factor required for a role (MFA_REQUIRED_ROLES), it decides as the authorizer\'s policy does', () => {
  beforeAll(() => {
    process.env.MFA_REQUIRED_ROLES = 'editor';
  });
  afterAll(() => {
    delete process.env.MFA_REQUIRED_ROLES;
  });

  it("refuses that role signed in without otp on a route reserved to roles, with the gateway's own 403 (code, enrol hint)", async () => {
    const response = await call('editor', { amr: ['pwd'] });
    const accessDenied = GATEWAY_RESPONSES.find((spec) => spec.type === 'ACCESS_DENIED')!;
    expect([response.statusCode, JSON.parse(response.body)]).toEqual([accessDenied.status, errorBody(accessDenied.code)]);
    expect(JSON.parse(response.body).message).toContain('POST /api/mfa/totp');
  });

  it('runs the function for that role signed in with pwd+otp', async () => {
    expect((await call('editor', { amr: ['pwd', 'otp'] })).statusCode).toBe(200);
  });

  it('leaves routes any signed-in caller may use open to it without otp (so it can enrol), and other roles unaffected', async () => {
    expect((await call('editor', { method: 'GET', amr: ['pwd'] })).statusCode).toBe(200);
    expect((await call('reader', { method: 'GET', amr: ['pwd'] })).statusCode).toBe(200);
  });
});
