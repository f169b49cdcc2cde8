/**
 * The authorizer when SSM is unreachable at cold start: it fails closed
 * (an error that is not `Unauthorized`, which API Gateway turns into a 5xx,
 * never an Allow), recovers once the service answers, and then keeps
 * verifying with the keys it holds if the service goes away again. moto is
 * a private instance here, started late and stopped on purpose.
 */
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import type { handler as AuthorizerHandler } from '../../lambdas/handlers/authorizer';
import { generateSigningKey, publicJwkOf, publishKey, serializePublicKeyDocument, type SigningKeyRecord } from '../../lambdas/keys/key-set';
import type { SigningKeySource } from '../../lambdas/keys/key-store';
import { tokenConfig } from '../../lambdas/contract/config';
import { AccessTokenIssuer } from '../../lambdas/tokens/access-tokens';
import { freePort, startMoto, type Moto } from './moto';
import { motoClient, REGION, uniqueNames } from './support';

const METHOD_ARN = `arn:aws:execute-api:${REGION}:123456789012:abc123/prod/GET/api/profile`;

let port: number;
let moto: Moto | undefined;
let names: ReturnType<typeof uniqueNames>;
let authorizer: typeof AuthorizerHandler;
let key: SigningKeyRecord;

const authorize = (token: string) => authorizer({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN } as APIGatewayTokenAuthorizerEvent);

/** Signs with `record` directly (no store): the token is well formed whatever the authorizer can read. */
function issuerFor(record: SigningKeyRecord): AccessTokenIssuer {
  const source: SigningKeySource = { loadSigningKey: async () => record };
  return new AccessTokenIssuer(source, tokenConfig(), 300);
}

beforeAll(async () => {
  port = await freePort();
  names = uniqueNames();
  key = await generateSigningKey(Math.floor(Date.now() / 1000));
  delete process.env.LOCAL_KEYS_DIR;
  delete process.env.SIGNING_KEY_SECRET_ID;
  Object.assign(process.env, {
    // Nothing listens here yet.
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    PUBLIC_KEYS_PARAMETER: names.parameter,
  });
  authorizer = (await import('../../lambdas/handlers/authorizer')).handler;
});

afterAll(async () => {
  await moto?.stop();
});

describe('authorizer when the key store is unreachable', () => {
  it('fails closed at cold start: a well-formed token gets an error that is not Unauthorized', async () => {
    const { accessToken } = await issuerFor(key).issue({ sub: 'user-1', role: 'admin' });

    const error = await authorize(accessToken).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toBe('Unauthorized');
    expect(error).toMatchObject({ name: 'KeySourceError', code: 'service_unavailable' });
  });

  it('still answers Unauthorized for garbage, without needing the keys', async () => {
    await expect(authorize('not.a.token')).rejects.toThrow(/^Unauthorized$/);
    await expect(authorizer({ type: 'TOKEN', authorizationToken: 'Basic abc', methodArn: METHOD_ARN } as APIGatewayTokenAuthorizerEvent)).rejects.toThrow(/^Unauthorized$/);
  });

  it('recovers once the service answers', async () => {
    // Prepare: the service comes up, with the key published.
    moto = await startMoto({ port });
    const client = motoClient(moto.endpoint);
    const doc = publishKey({ keys: [] }, publicJwkOf(key), Math.floor(Date.now() / 1000));
    await client.call('ssm', 'PutParameter', { Name: names.parameter, Value: serializePublicKeyDocument(doc), Type: 'String' });
    const { accessToken } = await issuerFor(key).issue({ sub: 'user-1', role: 'admin' });

    // Act
    const result = await authorize(accessToken);

    // Assess
    expect(result).toMatchObject({ principalId: 'user-1', context: { role: 'admin' } });
  });

  it('keeps verifying with the keys it holds when the service goes away again', async () => {
    await moto?.stop();
    moto = undefined;
    const { accessToken } = await issuerFor(key).issue({ sub: 'user-3', role: 'user' });
    const stranger = await generateSigningKey(Math.floor(Date.now() / 1000));
    const { accessToken: unknownKid } = await issuerFor(stranger).issue({ sub: 'user-3', role: 'admin' });

    await expect(authorize(accessToken)).resolves.toMatchObject({ principalId: 'user-3' });
    // An unknown kid while the store is down is a bad token (401), since known keys exist.
    await expect(authorize(unknownKid)).rejects.toThrow(/^Unauthorized$/);
  });
});
