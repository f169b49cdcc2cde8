/**
 * The authorizer when its key source is unavailable at cold start: it
 * fails closed (no request passes; API Gateway answers 503 with
 * Retry-After, never 2xx) and recovers by itself when the source returns.
 * Twice: with the local file store (the directory appears later), and with
 * the deployed AwsKeyStore reading SSM from a stand-in HTTP server that
 * refuses connections, fails, answers garbage, publishes a private key,
 * hangs, and finally answers. (test/aws/authorizer-outage.aws.test.ts does
 * the same against moto.)
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_KEY_FILES } from '../../lambdas/keys/key-store';
import { tokenConfig } from '../../lambdas/contract/config';
import { protectedRoutes, ROUTES } from '../../lambdas/contract/routes';
import { LocalGateway, type ProxyHandler, type TokenAuthorizer } from '../../local/gateway';
import { setUpEnvironment, type TestEnvironment } from '../support/environment';
import { hostileAuthorizations } from '../support/hostile-tokens';
import { client, type Api } from '../support/http-client';

type Authorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/admin';
const SOMEONE = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';

let env: TestEnvironment;
let valid: string;
const servers: Server[] = [];

beforeAll(async () => {
  env = await setUpEnvironment();
  valid = (await hostileAuthorizations({ keysDir: env.keysDir, ...tokenConfig() })).validAuthorization;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A fresh cold start of the authorizer and every handler, with the environment as it is now. */
async function coldStart(): Promise<{ authorize: Authorizer; api: Api }> {
  jest.resetModules();
  const authorize = ((await import('../../lambdas/handlers/authorizer')) as { handler: Authorizer }).handler;
  const handlers: Record<string, ProxyHandler> = {};
  for (const route of ROUTES) handlers[route.handler] = ((await import(`../../lambdas/handlers/${route.handler}`)) as { handler: ProxyHandler }).handler;
  const gateway = new LocalGateway({ handlers, authorizer: authorize as TokenAuthorizer, authorizerCacheTtlSeconds: 300 });
  const server = createServer(gateway.listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { authorize, api: client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
}

/** What the authorizer does with a token: ALLOWED, Unauthorized, or the error it failed closed with. */
async function outcome(authorize: Authorizer, authorization: string): Promise<string> {
  try {
    await authorize({ type: 'TOKEN', authorizationToken: authorization, methodArn: METHOD_ARN });
    return 'ALLOWED';
  } catch (error) {
    return (error as Error).message === 'Unauthorized' ? 'Unauthorized' : `failed closed: ${(error as { code?: string }).code}`;
  }
}

/** Every protected route over HTTP with a valid token: their statuses, and whether each 503 carried Retry-After and the contract body. */
async function protectedAnswers(api: Api): Promise<string[]> {
  const answers: string[] = [];
  for (const route of protectedRoutes()) {
    const response = await api(route.method, route.path.replace('{id}', SOMEONE), {
      headers: { Authorization: valid },
      ...(route.method === 'POST' || route.method === 'PUT' ? { body: {} } : {}),
    });
    const closed = response.status === 503 && response.headers.get('retry-after') === '1' && response.json?.error === 'service_unavailable';
    answers.push(`${route.method} ${route.path} ${closed ? 'failed closed' : response.status}`);
  }
  return answers;
}

const allFailedClosed = () => protectedRoutes().map((route) => `${route.method} ${route.path} failed closed`);

describe('file key store', () => {
  it('fails closed while the key directory is missing at cold start (authorizer, JWKS, login), and recovers when it appears', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'wristband-outage-')), 'keys');
    process.env.LOCAL_KEYS_DIR = missing;
    const { authorize, api } = await coldStart();

    // Directly: a valid token is neither allowed nor called Unauthorized (that would be a lie, and cacheable).
    expect(await outcome(authorize, valid)).toBe('failed closed: service_unavailable');
    expect(await outcome(authorize, 'Bearer not.a.token')).toBe('Unauthorized');
    // Over HTTP: every protected route answers 503 with Retry-After; public ones that need no key still answer.
    expect(await protectedAnswers(api)).toEqual(allFailedClosed());
    expect((await api('GET', '/api/admin', { headers: { Authorization: 'Bearer garbage' } })).status).toBe(401);
    expect((await api('GET', '/')).status).toBe(200);
    // The other key readers fail closed the same way: the JWKS (no stale copy yet) and a login with the right password.
    const credentials = { email: 'outage@example.com', password: 'a passphrase for the outage' };
    expect((await api('POST', '/register', { body: credentials })).status).toBe(201);
    for (const response of [await api('GET', '/.well-known/jwks.json'), await api('POST', '/login', { body: credentials })]) {
      expect([response.status, response.headers.get('retry-after'), response.json?.error]).toEqual([503, '1', 'service_unavailable']);
    }

    cpSync(env.keysDir, missing, { recursive: true });

    expect(await outcome(authorize, valid)).toBe('ALLOWED');
    expect((await api('GET', '/api/admin', { headers: { Authorization: valid } })).status).toBe(200);
    expect((await api('GET', '/.well-known/jwks.json')).status).toBe(200);
    expect((await api('POST', '/login', { body: credentials })).status).toBe(200);
  });
});

describe('SSM through a stand-in HTTP server', () => {
  type Mode = 'serve' | 'error' | 'throttle' | 'garbage' | 'private-key' | 'empty' | 'hang';
  let mode: Mode = 'error';
  let port: number;
  let requests = 0;
  const publicDoc = () => readFileSync(join(env.keysDir, LOCAL_KEY_FILES.publicKeys), 'utf8');
  const stub = createServer((req, res) => {
    req.resume();
    requests += 1;
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const parameter = (value: string) => answer(200, { Parameter: { Name: '/wristband/test/public-keys', Type: 'String', Value: value } });
    switch (mode) {
      case 'serve':
        return parameter(publicDoc());
      case 'error':
        return answer(500, { __type: 'InternalServerError', message: 'injected' });
      case 'throttle':
        return answer(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      case 'garbage':
        return answer(200, '<html>captive portal</html>');
      case 'private-key': {
        // A document that also carries a private key is refused outright, not used.
        const doc = JSON.parse(publicDoc());
        const signing = JSON.parse(readFileSync(join(env.keysDir, LOCAL_KEY_FILES.signingKey), 'utf8'));
        doc.keys[0].jwk.d = signing.privateJwk.d;
        return parameter(JSON.stringify(doc));
      }
      case 'empty':
        return parameter('{"keys":[]}');
      case 'hang':
        return;
    }
  });

  beforeAll(async () => {
    // Reserve a port, and leave it closed: at cold start nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    delete process.env.LOCAL_KEYS_DIR;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      PUBLIC_KEYS_PARAMETER: '/wristband/test/public-keys',
    });
  });

  afterAll(async () => {
    stub.closeAllConnections();
    await new Promise((resolve) => stub.close(resolve));
  });

  it('fails closed through every kind of outage at cold start, then recovers when SSM answers', async () => {
    const { authorize, api } = await coldStart();

    // Connection refused.
    expect(await outcome(authorize, valid)).toBe('failed closed: service_unavailable');
    expect((await api('GET', '/api/orders', { headers: { Authorization: valid } })).status).toBe(503);

    await new Promise<void>((resolve) => stub.listen(port, '127.0.0.1', resolve));
    servers.push(stub);
    for (const failing of ['error', 'throttle', 'garbage', 'private-key'] as const) {
      mode = failing;
      const before = requests;
      expect([failing, await outcome(authorize, valid)]).toEqual([failing, 'failed closed: service_unavailable']);
      expect([failing, (await api('GET', '/api/admin', { headers: { Authorization: valid } })).status]).toEqual([failing, 503]);
      expect(requests).toBeGreaterThan(before);
    }

    mode = 'serve';
    expect(await outcome(authorize, valid)).toBe('ALLOWED');
    expect((await api('GET', '/api/admin', { headers: { Authorization: valid } })).status).toBe(200);

    // Gone again after the keys loaded: the keys it holds keep working.
    mode = 'error';
    expect(await outcome(authorize, valid)).toBe('ALLOWED');
  });

  it('lets nothing through with an empty key set (before the first rotation): 401 for every token', async () => {
    mode = 'empty';
    const { authorize, api } = await coldStart();
    expect(await outcome(authorize, valid)).toBe('Unauthorized');
    expect((await api('GET', '/api/admin', { headers: { Authorization: valid } })).status).toBe(401);
  });

  it('fails closed when SSM hangs at cold start: the gateway stops the authorizer at its timeout and answers 503', async () => {
    mode = 'hang';
    const { api } = await coldStart();
    const response = await api('GET', '/api/admin', { headers: { Authorization: valid } });
    expect([response.status, response.headers.get('retry-after'), response.json?.error]).toEqual([503, '1', 'service_unavailable']);
    mode = 'serve';
  }, 15_000);
});
