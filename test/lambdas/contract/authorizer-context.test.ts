/**
 * The authorizer context as it travels on AWS: written once by the
 * authorizer (encodeAuthorizerContext), checked and stringified the way API
 * Gateway does (local/authorizer-result.ts), read once by the handlers
 * (decodeAuthorizerContext). The deployed shape, string values only, is
 * the only one the handlers accept.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { policyFor } from '../../../lambdas/authorizer/policy';
import { decodeAuthorizerContext, decodeList, encodeAuthorizerContext, encodeList } from '../../../lambdas/contract/authorizer-context';
import { authorizerContextOf, LOCAL_API_STAGE, methodArnOf } from '../../../local/events';
import { context, proxyEvent } from '../../support/events';

const exp = Math.floor(Date.now() / 1000) + 60;
const claims = { sub: 'user-1', role: 'admin', jti: 'jti-1', iat: exp - 900, exp, iss: 'i', aud: 'a' } as const;

it('encodes every value as a string, which API Gateway passes unchanged', () => {
  const encoded = encodeAuthorizerContext(claims);
  expect(Object.values(encoded).every((value) => typeof value === 'string')).toBe(true);
  expect(decodeAuthorizerContext({ ...encoded, principalId: claims.sub })).toEqual({ sub: 'user-1', role: 'admin', jti: 'jti-1', exp, amr: [] });
});

it('serves an admin route with the context exactly as API Gateway delivers it: strings only', async () => {
  const { handler } = await import('../../../lambdas/handlers/admin');
  // The real policy, through the same checks and stringification API Gateway applies.
  const authorizer = authorizerContextOf(policyFor(claims, methodArnOf(LOCAL_API_STAGE, 'GET', '/api/admin')));
  expect(Object.values(authorizer).every((value) => typeof value === 'string')).toBe(true);
  // With the route API Gateway names: protectedHandler checks the route's roles by method and resource.
  const event = proxyEvent({ httpMethod: 'GET', resource: '/api/admin', path: '/api/admin', requestContext: { requestId: 'r', authorizer } as unknown as APIGatewayProxyEvent['requestContext'] });
  const response = await handler(event, context('admin'));
  expect([response.statusCode, JSON.parse(response.body).user]).toEqual([200, { id: 'user-1', role: 'admin' }]);
});

it.each([
  ['a numeric exp (AWS never delivers a number)', { principalId: 'u', role: 'user', exp }],
  ['an exp that is not whole seconds', { principalId: 'u', role: 'user', exp: '1e12' }],
  ['an unknown role', { principalId: 'u', role: 'root', exp: String(exp) }],
  ['no principal', { role: 'user', exp: String(exp) }],
  ['an inherited field', Object.create({ principalId: 'u', role: 'user', exp: String(exp) })],
])('reads nothing from %s', (_case, raw) => {
  expect(decodeAuthorizerContext(raw)).toBeUndefined();
});

it('carries a list claim as one string and reads back only a list of strings', () => {
  expect(decodeList(encodeList(['pwd', 'mfa']))).toEqual(['pwd', 'mfa']);
  expect(decodeList(encodeList([]))).toEqual([]);
  for (const bad of ['pwd', '{"a":1}', '[1]', '["a",null]', '', 42, ['pwd']]) expect(decodeList(bad)).toBeUndefined();
});

it('refuses to build a context API Gateway would refuse (an array value)', () => {
  const result = { ...policyFor(claims, methodArnOf(LOCAL_API_STAGE, 'GET', '/api/admin')), context: { roles: ['admin'] } };
  expect(() => authorizerContextOf(result as never)).toThrow(/context value "roles"/);
});
