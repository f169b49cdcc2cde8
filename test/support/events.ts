/** API Gateway proxy events as the REST API sends them, for invoking handlers directly. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { lambdaContext } from '../../local/events';
import { ROUTES } from '../../lambdas/contract/routes';

export function proxyEvent(overrides: Partial<APIGatewayProxyEvent> & { json?: unknown } = {}): APIGatewayProxyEvent {
  const { json, ...rest } = overrides;
  const body = json === undefined ? (rest.body ?? null) : JSON.stringify(json);
  return {
    resource: '/',
    path: '/',
    httpMethod: 'GET',
    headers: json === undefined ? {} : { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'test-request', authorizer: null } as unknown as APIGatewayProxyEvent['requestContext'],
    ...rest,
    body,
  };
}

export function withCaller(event: APIGatewayProxyEvent, sub: string, role: 'user' | 'admin', exp = Math.floor(Date.now() / 1000) + 900): APIGatewayProxyEvent {
  return { ...event, requestContext: { ...event.requestContext, authorizer: { principalId: sub, sub, role, jti: 'j', exp: String(exp) } } };
}

export const context = (name = 'test') => lambdaContext(name, 'test-request');

/**
 * A handler as API Gateway invokes it: an event left at proxyEvent's default
 * resource gets the handler's own route (resource and method), as the gateway
 * would send it. protectedHandler answers 403 to a route missing from its
 * table, so a test that means another route must say so explicitly.
 */
export function routed<F extends (event: APIGatewayProxyEvent, ...rest: never[]) => unknown>(name: string, handler: F): F {
  const route = ROUTES.find((r) => r.handler === name);
  if (!route) return handler;
  const wrapped = (event: APIGatewayProxyEvent, ...rest: never[]) =>
    handler(event && event.resource === '/' && route.path !== '/' ? { ...event, resource: route.path, httpMethod: route.method } : event, ...rest);
  return wrapped as F;
}
