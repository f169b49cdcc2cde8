/**
 * The local API Gateway emulator against API Gateway's documented
 * behaviour, where it used to be more permissive than a deployed stage:
 * each answer here is what AWS sends (or stricter, where AWS is
 * undocumented), so that "passes locally" stays true when deployed.
 *
 * The first part serves LocalGateway over real HTTP with scripted handlers
 * and a scripted authorizer (to make them throw, hang, or answer
 * malformed); the second runs the real local stack with the real authorizer.
 */
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES } from '../../lambdas/contract/routes';
import { MAX_HEADER_VALUE_BYTES, MAX_LAMBDA_PAYLOAD_BYTES, MAX_REQUEST_BODY_BYTES } from '../../local/aws-limits';
import { LocalGateway, type ProxyHandler } from '../../local/gateway';
import { ADMIN, ALICE, login, startTestStack, type RunningStack } from '../support/local-stack';
import { rawRequest, type RawResponse } from '../support/raw-request';

const ARN_PREFIX = 'arn:aws:execute-api:local:000000000000:wristband/local/';

/** Allows every route: only the authorizer's other output is under test. */
function allowAll(context?: unknown, statement: unknown = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${ARN_PREFIX}*` }]) {
  return { principalId: 'user-1', policyDocument: { Version: '2012-10-17', Statement: statement }, ...(context === undefined ? {} : { context }) } as unknown as APIGatewayAuthorizerResult;
}

describe('the emulator with scripted functions', () => {
  let server: Server;
  let baseUrl: string;
  let gateway: LocalGateway;
  let authorizer: (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let authorizerEvents: APIGatewayTokenAuthorizerEvent[];
  let handlerEvents: APIGatewayProxyEvent[];
  let errorTypes: (string | undefined)[];

  const ok = async (): Promise<APIGatewayProxyResult> => ({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*' }, body: '{"ok":true}' });

  beforeAll(async () => {
    const handlers: Record<string, ProxyHandler> = {};
    for (const route of ROUTES) {
      handlers[route.handler] = (event) => {
        handlerEvents.push(event);
        return handler(event);
      };
    }
    gateway = new LocalGateway({
      handlers,
      authorizer: (event) => {
        authorizerEvents.push(event);
        return authorizer(event);
      },
      authorizerCacheTtlSeconds: 0,
      onRequest: (entry) => errorTypes.push(entry.errorType),
      timeoutsMs: { root: 200, profile: 200, authorizer: 200 },
    });
    server = createServer({ maxHeaderSize: 256 * 1024 }, gateway.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    authorizer = async () => allowAll({ role: 'user' });
    handler = ok;
    authorizerEvents = [];
    handlerEvents = [];
    errorTypes = [];
  });

  const get = (path: string, headers: [string, string][] = [['Authorization', 'Bearer t']]) => rawRequest(baseUrl, 'GET', path, headers);
  const json = (response: RawResponse) => JSON.parse(response.text) as unknown;
  /** What AWS answers by itself with no gateway response applied: its generic message, no CORS. */
  const bare = (response: RawResponse) => [response.status, json(response), response.headers['access-control-allow-origin']];

  describe('authorizer context values', () => {
    it('reach the handler as strings, as API Gateway hands them over', async () => {
      authorizer = async () => allowAll({ role: 'user', count: 42, admin: false, label: 'x' });
      expect((await get('/api/profile')).status).toBe(200);
      expect(handlerEvents[0]?.requestContext.authorizer).toEqual({ role: 'user', count: '42', admin: 'false', label: 'x', principalId: 'user-1', integrationLatency: 0 });
    });

    it.each([
      ['an object', { role: 'user', claims: { a: 1 } }],
      ['an array', { role: 'user', roles: ['user', 'admin'] }],
      ['null', { role: 'user', nothing: null }],
    ])('refuse %s as an authorizer configuration error (503 on every protected route, never the handler)', async (_case, context) => {
      authorizer = async () => allowAll(context);
      const response = await get('/api/profile');
      expect([response.status, (json(response) as { error: string }).error]).toEqual([503, 'service_unavailable']);
      expect([handlerEvents.length, errorTypes]).toEqual([0, ['AUTHORIZER_CONFIGURATION_ERROR']]);
    });
  });

  describe('authorizer failures', () => {
    it('answer a thrown string "Unauthorized" with 401, like an Error("Unauthorized")', async () => {
      authorizer = () => Promise.reject('Unauthorized');
      const thrownString = await get('/api/profile');
      authorizer = () => Promise.reject(new Error('Unauthorized'));
      const thrownError = await get('/api/profile');
      expect([thrownString.status, thrownError.status]).toEqual([401, 401]);
    });

    it.each([
      ['Statement an object', { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${ARN_PREFIX}*` }],
      ['Statement a string', 'Allow everything'],
      ['a statement without Effect', [{ Action: 'execute-api:Invoke', Resource: `${ARN_PREFIX}*` }]],
      ['a statement with a numeric Resource', [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 42 }]],
      ['a null statement', [null]],
    ])('answer a malformed policy (%s) as a configuration error: 503, never a 500 or a pass', async (_case, statement) => {
      authorizer = async () => allowAll({ role: 'user' }, statement);
      const response = await get('/api/profile');
      expect([response.status, (json(response) as { error: string }).error]).toEqual([503, 'service_unavailable']);
      expect([handlerEvents.length, errorTypes]).toEqual([0, ['AUTHORIZER_CONFIGURATION_ERROR']]);
    });

    it('answer another throw or a timeout as AUTHORIZER_CONFIGURATION_ERROR (503), never a pass', async () => {
      authorizer = () => Promise.reject(new Error('keys unreadable'));
      const thrown = await get('/api/profile');
      authorizer = () => new Promise(() => undefined);
      const hung = await get('/api/profile');
      expect([thrown.status, hung.status]).toEqual([503, 503]);
      expect([handlerEvents.length, errorTypes]).toEqual([0, ['AUTHORIZER_CONFIGURATION_ERROR', 'AUTHORIZER_CONFIGURATION_ERROR']]);
    });
  });

  it('hands two Authorization headers to the authorizer and the handler as the same value', async () => {
    const response = await get('/api/profile', [
      ['Authorization', 'Bearer first'],
      ['Authorization', 'Bearer second'],
    ]);
    expect(response.status).toBe(200);
    expect(authorizerEvents.map((e) => e.authorizationToken)).toEqual([handlerEvents[0]?.headers.Authorization]);
  });

  describe('a trailing slash', () => {
    it('reaches the route without it, with the path as sent in the method ARN', async () => {
      const response = await get('/api/profile/');
      expect(response.status).toBe(200);
      expect(handlerEvents.map((e) => e.resource)).toEqual(['/api/profile']);
      expect(authorizerEvents.map((e) => e.methodArn)).toEqual([`${ARN_PREFIX}GET/api/profile/`]);
    });

    it('keeps path parameters, and a public route answers too', async () => {
      handler = ok;
      const response = await rawRequest(baseUrl, 'DELETE', '/api/users/abc/', [['Authorization', 'Bearer t']]);
      const root = await get('/register/', []);
      expect([response.status, handlerEvents[0]?.pathParameters]).toEqual([200, { id: 'abc' }]);
      expect(root.status).toBe(404); // POST-only: another method is still unknown
    });
  });

  describe('handler failures are bare 502s, as API Gateway answers a Lambda function error', () => {
    const internal = [502, { message: 'Internal server error' }, undefined];

    it('a handler that throws (async or not)', async () => {
      handler = () => Promise.reject(new Error('bug'));
      const rejected = await get('/');
      handler = () => {
        throw new Error('bug');
      };
      const thrown = await get('/');
      expect([bare(rejected), bare(thrown)]).toEqual([internal, internal]);
    });

    it('a malformed proxy result', async () => {
      handler = async () => ({ body: 'no status' }) as unknown as APIGatewayProxyResult;
      expect(bare(await get('/'))).toEqual(internal);
    });

    it('a handler that runs past its own timeout (no 503, no Retry-After)', async () => {
      handler = () => new Promise(() => undefined);
      const response = await get('/');
      expect(bare(response)).toEqual(internal);
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('a result over Lambda’s 6 MB response limit', async () => {
      handler = async () => ({ statusCode: 200, body: 'x'.repeat(MAX_LAMBDA_PAYLOAD_BYTES) });
      expect(bare(await get('/'))).toEqual(internal);
    });
  });

  describe('size limits, before any function runs', () => {
    it('refuses header values over 10,240 bytes before the authorizer or a handler (never 2xx, no contract body)', async () => {
      const padding = 'x'.repeat(MAX_HEADER_VALUE_BYTES);
      const publicRoute = await get('/', [['X-Padding', padding]]);
      const protectedRoute = await get('/api/profile', [['Authorization', `Bearer ${padding}`]]);
      for (const response of [publicRoute, protectedRoute]) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      }
      expect([authorizerEvents.length, handlerEvents.length]).toEqual([0, 0]);
    });

    it('answers a body over 10 MB with a bare 413 (no contract body, no CORS)', async () => {
      const response = await rawRequest(baseUrl, 'POST', '/register', [['Content-Type', 'application/json']], Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20));
      expect(bare(response)).toEqual([413, { message: 'Request Too Long' }, undefined]);
      // Not the REQUEST_TOO_LARGE gateway response (contract body, CORS): AWS does not apply it to this 413.
      expect([handlerEvents.length, errorTypes]).toEqual([0, [undefined]]);
    });

    it('answers an event over Lambda’s 6 MB invoke limit with a bare 500, never invoking the handler', async () => {
      const response = await rawRequest(baseUrl, 'POST', '/register', [['Content-Type', 'application/json']], Buffer.alloc(MAX_LAMBDA_PAYLOAD_BYTES, 0x20));
      expect(bare(response)).toEqual([500, { message: 'Internal server error' }, undefined]);
      expect(handlerEvents).toHaveLength(0);
    });
  });
});

describe('the local stack with the real authorizer', () => {
  let running: RunningStack;

  beforeAll(async () => {
    running = await startTestStack();
  });

  afterAll(async () => {
    await running.stack.stop();
  });

  it('serves a protected route with a trailing slash to a valid token, and keeps the role checks', async () => {
    const alice = await login(running.api, ALICE.email, ALICE.password);
    const admin = await login(running.api, ADMIN.email, ADMIN.password);
    const answers = [];
    for (const [token, path] of [
      [alice.accessToken, '/api/profile/'],
      [alice.accessToken, '/api/profile'],
      [alice.accessToken, '/api/admin/'],
      [admin.accessToken, '/api/admin/'],
    ] as const) {
      answers.push([path, (await running.api('GET', path, { token })).status]);
    }
    expect(answers).toEqual([
      ['/api/profile/', 200],
      ['/api/profile', 200],
      ['/api/admin/', 403],
      ['/api/admin/', 200],
    ]);
  });

  it('answers a CORS preflight on every resource the stack creates, parents included', async () => {
    const answers = [];
    for (const path of ['/', '/api', '/api/', '/api/users', '/api/users/x', '/.well-known', '/api/profile']) {
      const response = await running.api('OPTIONS', path);
      answers.push([path, response.status, response.headers.get('access-control-allow-origin'), response.headers.get('access-control-allow-headers')]);
    }
    expect(answers).toEqual(
      ['/', '/api', '/api/', '/api/users', '/api/users/x', '/.well-known', '/api/profile'].map((path) => [path, 204, '*', 'Authorization,Content-Type']),
    );
    expect((await running.api('OPTIONS', '/nope')).status).toBe(404);
  });

  it('refuses a header over 10,240 bytes without running the authorizer', async () => {
    const before = running.stack.gateway.stats.authorizerInvocations;
    const response = await running.api('GET', '/api/profile', { headers: { Authorization: `Bearer ${'a'.repeat(MAX_HEADER_VALUE_BYTES)}` } });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(running.stack.gateway.stats.authorizerInvocations).toBe(before);
  });
});
