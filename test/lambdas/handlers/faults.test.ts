/**
 * When DynamoDB fails (unreachable, throttling), handlers answer 503
 * service_unavailable with Retry-After: never a 500, never a hang.
 * The faults are injected at the HTTP layer: a closed port, and a server
 * that answers every call the way DynamoDB answers when throttling.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setUpEnvironment } from '../../support/environment';
import { proxyEvent, withCaller } from '../../support/events';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

async function handlersAgainst(endpoint: string): Promise<Record<string, Handler>> {
  jest.resetModules();
  process.env.DYNAMODB_ENDPOINT = endpoint;
  const load = async (name: string) => ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
  return {
    register: await load('register'),
    login: await load('login'),
    refresh: await load('refresh'),
    profile: await load('profile'),
    listUsers: await load('list-users'),
  };
}

function calls(h: Record<string, Handler>): [string, () => Promise<APIGatewayProxyResult>][] {
  const sub = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';
  return [
    ['register', () => h.register!(proxyEvent({ httpMethod: 'POST', json: { email: 'a@example.com', password: 'correct-horse-battery-staple' } }))],
    ['login', () => h.login!(proxyEvent({ httpMethod: 'POST', json: { email: 'a@example.com', password: 'correct-horse-battery-staple' } }))],
    ['refresh', () => h.refresh!(proxyEvent({ httpMethod: 'POST', json: { refreshToken: 'A'.repeat(43) } }))],
    ['profile', () => h.profile!(withCaller(proxyEvent(), sub, 'user'))],
    ['list-users', () => h.listUsers!(withCaller(proxyEvent(), sub, 'admin'))],
  ];
}

function expectUnavailable(response: APIGatewayProxyResult) {
  expect(response.statusCode).toBe(503);
  expect(JSON.parse(response.body)).toEqual({ error: 'service_unavailable', message: expect.any(String) });
  expect(response.headers?.['Retry-After']).toBe('1');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  await setUpEnvironment();
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
    expect(requests).toBeGreaterThanOrEqual(15);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
