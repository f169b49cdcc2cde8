/**
 * When DynamoDB fails (unreachable, throttling, hanging, cutting
 * connections, failing with 500s), every handler that touches it answers
 * 503 service_unavailable with Retry-After: never a 500, never a hang past
 * the Lambda deadline. The faults are injected at the HTTP layer: a closed
 * port, a server that answers every call the way DynamoDB answers when
 * throttling, and a fault-injecting proxy in front of dynalite
 * (test/support/dynamo-proxy.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEADLINE_MARGIN_MS } from '../../../lambdas/edge/http';
import { DynamoProxy, INTERNAL_ERROR, type Fault } from '../../support/dynamo-proxy';
import { setUpEnvironment, type TestEnvironment } from '../../support/environment';
import { context, proxyEvent, withCaller, routed } from '../../support/events';
import { Users } from '../../../lambdas/domain/users';

type Handler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/** Every handler that reads or writes DynamoDB. */
const DYNAMO_HANDLERS = [
  'register',
  'login',
  'refresh',
  'logout',
  'profile',
  'create-order',
  'list-orders',
  'list-users',
  'set-user-role',
  'delete-user',
  'change-password',
  'list-sessions',
  'revoke-session',
  'revoke-all-sessions',
  'revoke-user-sessions',
  'delete-profile',
  'forgot-password',
  'reset-password',
  'verify-email',
  'resend-verification',
] as const;

async function handlersAgainst(endpoint: string): Promise<Record<string, Handler>> {
  jest.resetModules();
  process.env.DYNAMODB_ENDPOINT = endpoint;
  const handlers: Record<string, Handler> = {};
  for (const name of DYNAMO_HANDLERS) handlers[name] = routed(name, ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
  return handlers;
}

/** One call per handler, each with input that reaches DynamoDB; `ctx` gives each call its Lambda context. */
function calls(h: Record<string, Handler>, ctx: (name: string) => Context | undefined = () => undefined): [string, () => Promise<APIGatewayProxyResult>][] {
  const sub = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';
  const json = (body: unknown) => proxyEvent({ httpMethod: 'POST', json: body });
  const events: Record<(typeof DYNAMO_HANDLERS)[number], APIGatewayProxyEvent> = {
    register: json({ email: 'a@example.com', password: 'correct-horse-battery-staple' }),
    login: json({ email: 'a@example.com', password: 'correct-horse-battery-staple' }),
    refresh: json({ refreshToken: 'A'.repeat(43) }),
    logout: json({ refreshToken: 'A'.repeat(43) }),
    profile: withCaller(proxyEvent(), sub, 'user'),
    'create-order': withCaller(json({ items: [{ sku: 'tee', quantity: 1 }] }), sub, 'user'),
    'list-orders': withCaller(proxyEvent(), sub, 'user'),
    'list-users': withCaller(proxyEvent(), sub, 'admin'),
    'set-user-role': withCaller(proxyEvent({ httpMethod: 'PUT', json: { role: 'admin' }, pathParameters: { id: sub } }), sub, 'admin'),
    'delete-user': withCaller(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id: sub } }), sub, 'admin'),
    'change-password': withCaller(json({ currentPassword: 'correct-horse-battery-staple', newPassword: 'another-horse-battery-staple' }), sub, 'user'),
    'list-sessions': withCaller(proxyEvent(), sub, 'user'),
    'revoke-session': withCaller(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id: sub } }), sub, 'user'),
    'revoke-all-sessions': withCaller(json(undefined), sub, 'user'),
    'revoke-user-sessions': withCaller(proxyEvent({ httpMethod: 'DELETE', pathParameters: { id: sub } }), sub, 'admin'),
    'delete-profile': withCaller(proxyEvent({ httpMethod: 'DELETE', json: { password: 'correct-horse-battery-staple' } }), sub, 'user'),
    'forgot-password': json({ email: 'a@example.com' }),
    'reset-password': json({ token: 'A'.repeat(43), newPassword: 'another-horse-battery-staple' }),
    'verify-email': json({ token: 'A'.repeat(43) }),
    'resend-verification': json({ email: 'a@example.com' }),
  };
  return DYNAMO_HANDLERS.map((name) => [name, () => h[name]!(events[name], ctx(name))]);
}

function expectUnavailable(response: APIGatewayProxyResult) {
  expect(response.statusCode).toBe(503);
  expect(JSON.parse(response.body)).toEqual({ error: 'service_unavailable', message: expect.any(String) });
  expect(response.headers?.['Retry-After']).toBe('1');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

let env: TestEnvironment;

beforeAll(async () => {
  env = await setUpEnvironment();
});

it('answers 503 when DynamoDB is unreachable', async () => {
  const server = createServer();
  const endpoint = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  for (const [name, call] of calls(await handlersAgainst(endpoint))) {
    const response = await call();
    expect([name, response.statusCode]).toEqual([name, 503]);
    expectUnavailable(response);
  }
});

it('answers 503 when DynamoDB keeps throttling', async () => {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }));
  });
  const endpoint = await listen(server);
  try {
    // Concurrently: the SDK backs off between its retries of a throttled call.
    const results = await Promise.all(calls(await handlersAgainst(endpoint)).map(async ([name, call]) => [name, await call()] as const));
    for (const [name, response] of results) {
      expect([name, response.statusCode]).toEqual([name, 503]);
      expectUnavailable(response);
    }
    // The SDK retried before giving up (3 attempts per call).
    expect(requests).toBeGreaterThanOrEqual(3 * DYNAMO_HANDLERS.length);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('through a fault-injecting proxy in front of dynalite', () => {
  let proxy: DynamoProxy;
  let h: Record<string, Handler>;

  beforeAll(async () => {
    proxy = await DynamoProxy.start(env.dynamoEndpoint);
    h = await handlersAgainst(proxy.endpoint);
  });

  afterEach(() => {
    proxy.clear();
  });

  afterAll(async () => {
    // Cuts the calls still hanging: the SDK's pending retries fail fast instead of outliving the file.
    await proxy.stop();
  });

  it.each<[string, Fault]>([
    ['cuts every connection', { kind: 'drop' }],
    ['fails every call with a 500', INTERNAL_ERROR],
  ])('answers 503 when DynamoDB %s', async (_name, fault) => {
    proxy.inject({ fault, times: Infinity });
    const results = await Promise.all(calls(h).map(async ([name, call]) => [name, await call()] as const));
    for (const [name, response] of results) {
      expect([name, response.statusCode]).toEqual([name, 503]);
      expectUnavailable(response);
    }
  });

  it('answers 503 before the Lambda deadline when DynamoDB hangs', async () => {
    proxy.inject({ fault: { kind: 'hang' }, times: Infinity });
    // A Lambda with 1.5 s left: each handler must answer in about 1 s, though one hung call alone takes 2 s per attempt.
    const short = (name: string) => ({ ...context(name), getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 1000 });
    const started = Date.now();
    const results = await Promise.all(calls(h, short).map(async ([name, call]) => [name, await call()] as const));
    expect(Date.now() - started).toBeLessThan(DEADLINE_MARGIN_MS + 1000);
    for (const [name, response] of results) {
      expect([name, response.statusCode]).toEqual([name, 503]);
      expectUnavailable(response);
    }
    expect(proxy.faulted('hang')).toBeGreaterThanOrEqual(DYNAMO_HANDLERS.length);
  });

  it('answers forgot-password for an account with the same 202 when a write after the account lookup fails', async () => {
    const email = `faults-${Date.now()}@example.com`;
    await new Users(env.db).create({ email, role: 'user', passwordHash: 'x' }, new Date().toISOString());
    // Every write fails: the account is read, its mail quota cannot be.
    proxy.inject({ operation: 'UpdateItem', fault: INTERNAL_ERROR, times: Infinity });

    const known = await h['forgot-password']!(proxyEvent({ httpMethod: 'POST', json: { email } }));
    const unknown = await h['forgot-password']!(proxyEvent({ httpMethod: 'POST', json: { email: `nobody-${email}` } }));

    expect([known.statusCode, known.body]).toEqual([202, unknown.body]);
    expect(proxy.faulted('error')).toBeGreaterThan(0);
  });

  it('answers from the data when DynamoDB is slow but within its timeouts', async () => {
    proxy.inject({ fault: { kind: 'delay', ms: 300 }, times: Infinity });
    const results = await Promise.all(calls(h, context).map(async ([name, call]) => [name, (await call()).statusCode] as const));
    for (const [name, status] of results) expect([name, status < 500]).toEqual([name, true]);
  });
});
