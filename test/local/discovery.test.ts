/**
 * OIDC discovery interop: a verifier that knows only the discovery URL
 * (as API Gateway HTTP API JWT authorizers, ALB and JWT middleware do)
 * fetches /.well-known/openid-configuration, then the keys from its
 * jwks_uri with jose's createRemoteJWKSet, and accepts a wristband access
 * token for the discovered issuer: here the issuer is the API's own URL,
 * as discovery expects.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from 'node:net';
import { ALICE, login, startTestStack, type RunningStack } from '../support/local-stack';

let running: RunningStack;
let issuer: string;

/** A port nobody listens on now, so the issuer can name the URL before the stack starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://localhost:${port}`;
  running = await startTestStack({ TOKEN_ISSUER: issuer }, undefined, port);
});

afterAll(async () => {
  await running.stack.stop();
  delete process.env.TOKEN_ISSUER;
});

it('a verifier that knows only the discovery URL accepts an access token from login', async () => {
  const { accessToken } = await login(running.api, ALICE.email, ALICE.password);

  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] };
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(accessToken, keys, {
    issuer: discovery.issuer,
    audience: 'wristband-api',
    algorithms: discovery.id_token_signing_alg_values_supported,
  });

  expect(discovery).toEqual(expect.objectContaining({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['ES256'] }));
  expect(payload).toEqual(expect.objectContaining({ iss: issuer, role: 'user' }));
  expect(protectedHeader.alg).toBe('ES256');
});

it('the same verifier refuses a token whose issuer is not the discovered one', async () => {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const { accessToken } = await login(running.api, ALICE.email, ALICE.password);
  await expect(jwtVerify(accessToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: 'https://someone-else.example' })).rejects.toThrow(/iss/);
});
