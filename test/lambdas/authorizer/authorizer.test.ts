/**
 * The authorizer as API Gateway calls it, with real keys and real tokens,
 * and its policy evaluated the way API Gateway evaluates it, for every
 * route and role: the cached policy must be right for all of them.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { cpSync, rmSync } from 'node:fs';
import { allowedResources, apiStageArn, policyFor } from '../../../lambdas/authorizer/policy';
import { FileKeyStore } from '../../../lambdas/keys/key-store';
import { mayCall, protectedRoutes, ROUTES } from '../../../lambdas/contract/routes';
import { AccessTokenIssuer } from '../../../lambdas/tokens/access-tokens';
import { policyAllows } from '../../../local/iam-policy';
import { setUpEnvironment, type TestEnvironment } from '../../support/environment';
import { TOKEN_CONFIG } from '../../support/domain';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const concrete = (path: string) => path.replace('{id}', '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11');

let env: TestEnvironment;
let handler: (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
let issue: (role: 'user' | 'admin') => Promise<string>;

beforeAll(async () => {
  env = await setUpEnvironment();
  ({ handler } = await import('../../../lambdas/handlers/authorizer'));
  const issuer = new AccessTokenIssuer(new FileKeyStore(env.keysDir), TOKEN_CONFIG, 300);
  issue = async (role) => (await issuer.issue({ sub: `sub-of-${role}`, role })).accessToken;
});

const event = (token: string, route = ROUTES[6]): APIGatewayTokenAuthorizerEvent => ({
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: `${STAGE}/${route.method}${concrete(route.path)}`,
});

describe('the policy', () => {
  it.each(['user', 'admin'] as const)('for a %s token allows exactly the routes that role may call', (role) => {
    const policy = policyFor({ sub: 's', role, jti: 'j', iat: 0, exp: 1, iss: 'i', aud: 'a' }, `${STAGE}/GET/api/profile`).policyDocument;
    for (const route of protectedRoutes()) {
      const arn = `${STAGE}/${route.method}${concrete(route.path)}`;
      expect([route.method, route.path, policyAllows(policy, 'execute-api:Invoke', arn)]).toEqual([route.method, route.path, mayCall(role, route)]);
    }
  });

  it.each(['user', 'admin'] as const)('for a %s token answers a route the same with or without a trailing slash in the method ARN', (role) => {
    // Whether API Gateway keeps the slash of `GET /api/profile/` in the method ARN is undocumented: both must work.
    const policy = policyFor({ sub: 's', role, jti: 'j', iat: 0, exp: 1, iss: 'i', aud: 'a' }, `${STAGE}/GET/api/profile/`).policyDocument;
    for (const route of protectedRoutes()) {
      const arn = `${STAGE}/${route.method}${concrete(route.path)}`;
      const answers = [policyAllows(policy, 'execute-api:Invoke', arn), policyAllows(policy, 'execute-api:Invoke', `${arn}/`)];
      expect([route.method, route.path, answers]).toEqual([route.method, route.path, [mayCall(role, route), mayCall(role, route)]]);
    }
    // The slash spelling opens nothing else: not a longer path, not another route.
    expect(policyAllows(policy, 'execute-api:Invoke', `${STAGE}/GET/api/profile/x`)).toBe(false);
  });

  it('does not allow other APIs, other stages, or other methods on a route', () => {
    const policy = policyFor({ sub: 's', role: 'admin', jti: 'j', iat: 0, exp: 1, iss: 'i', aud: 'a' }, `${STAGE}/GET/api/admin`).policyDocument;
    expect(policyAllows(policy, 'execute-api:Invoke', 'arn:aws:execute-api:eu-west-1:123456789012:other/prod/GET/api/admin')).toBe(false);
    expect(policyAllows(policy, 'execute-api:Invoke', 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/api/admin')).toBe(false);
    expect(policyAllows(policy, 'execute-api:Invoke', `${STAGE}/PATCH/api/admin`)).toBe(false);
  });

  it('turns path parameters into wildcards', () => {
    expect(allowedResources('admin', STAGE)).toContain(`${STAGE}/PUT/api/users/*/role`);
    expect(allowedResources('user', STAGE).every((r) => !r.includes('/api/users'))).toBe(true);
  });

  it('refuses a method ARN it cannot parse', () => {
    expect(() => apiStageArn('not-an-arn')).toThrow(/unexpected methodArn/);
  });
});

describe('the handler', () => {
  it('returns the principal, the policy and the contract context for a valid token', async () => {
    const token = await issue('user');
    const result = await handler(event(token));
    expect(result.principalId).toBe('sub-of-user');
    expect(result.context).toEqual({ sub: 'sub-of-user', role: 'user', jti: expect.any(String), exp: expect.stringMatching(/^\d+$/), amr: '["pwd"]' });
    // Values API Gateway accepts in a context: strings, numbers, booleans only.
    for (const value of Object.values(result.context ?? {})) expect(['string', 'number', 'boolean']).toContain(typeof value);
  });

  it.each([
    ['an empty header', ''],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['garbage', 'Bearer abc'],
  ])('throws exactly Unauthorized for %s', async (_case, header) => {
    await expect(handler({ type: 'TOKEN', authorizationToken: header, methodArn: `${STAGE}/GET/api/profile` })).rejects.toThrow(/^Unauthorized$/);
  });

  it('throws exactly Unauthorized for a token signed by another key with our kid', async () => {
    const token = await issue('admin');
    const other = await (await import('../../../lambdas/keys/key-set')).generateSigningKey(0);
    const { importJWK, SignJWT, decodeProtectedHeader } = await import('jose');
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: decodeProtectedHeader(token).kid as string })
      .setIssuer('wristband')
      .setAudience('wristband-api')
      .setSubject('x')
      .setJti('j')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(other.privateJwk, 'ES256'));
    await expect(handler(event(forged))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('fail closed', () => {
  it('throws a non-Unauthorized error (API Gateway 500, our 503) when no key can be loaded', async () => {
    jest.resetModules();
    process.env.LOCAL_KEYS_DIR = `${env.keysDir}-missing`;
    try {
      const fresh = (await import('../../../lambdas/handlers/authorizer')).handler;
      const token = await issue('user');
      const failure = (await fresh(event(token)).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error | undefined;
      expect(failure).toMatchObject({ code: 'service_unavailable' });
      expect(failure?.message).not.toBe('Unauthorized');
    } finally {
      process.env.LOCAL_KEYS_DIR = env.keysDir;
    }
  });

  it('keeps verifying with known keys if the key store disappears after they loaded', async () => {
    jest.resetModules();
    const fresh = (await import('../../../lambdas/handlers/authorizer')).handler;
    const first = await issue('user');
    const second = await issue('admin');
    expect((await fresh(event(first))).principalId).toBe('sub-of-user');
    const copy = `${env.keysDir}-copy`;
    cpSync(env.keysDir, copy, { recursive: true });
    rmSync(env.keysDir, { recursive: true });
    try {
      expect((await fresh(event(second))).principalId).toBe('sub-of-admin');
    } finally {
      cpSync(copy, env.keysDir, { recursive: true });
    }
  });
});
