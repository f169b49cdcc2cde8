/**
 * The deployed path end to end against moto: the rotate-keys handler
 * creates and publishes the signing key, an AccessTokenIssuer over
 * AwsKeyStore signs a token, and the authorizer handler (cold-started with
 * the stack's environment) verifies it from the SSM parameter.
 */
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { decodeProtectedHeader } from 'jose';
import type { handler as AuthorizerHandler } from '../../lambdas/handlers/authorizer';
import type { handler as RotateHandler } from '../../lambdas/handlers/rotate-keys';
import { AwsKeyStore } from '../../lambdas/keys/key-store';
import { tokenConfig } from '../../lambdas/contract/config';
import { KEY_PUBLISH_LEAD_SECONDS, PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS } from '../../lambdas/contract/settings';
import { AccessTokenIssuer } from '../../lambdas/tokens/access-tokens';
import { createKeyResources, motoClient, motoEndpoint, REGION, startRotation, uniqueNames, versionStages } from './support';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const METHOD_ARN = `arn:aws:execute-api:${REGION}:123456789012:abc123/prod/GET/api/profile`;
const client = motoClient();
const realNow = Date.now.bind(Date);
let skewMs = 0;

let names: ReturnType<typeof uniqueNames>;
let secretArn: string;
let rotateKeys: typeof RotateHandler;
let authorizer: typeof AuthorizerHandler;
let issuer: AccessTokenIssuer;

const authorize = (token: string) => authorizer({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN } as APIGatewayTokenAuthorizerEvent);

async function rotateThroughHandler(): Promise<string> {
  // Secrets Manager leaves AWSPENDING on the finished version; moto would refuse the next RotateSecret (see rotation.aws.test.ts).
  const stages = await versionStages(client, secretArn);
  const both = Object.entries(stages).find(([, l]) => l.includes('AWSPENDING') && l.includes('AWSCURRENT'))?.[0];
  if (both) await client.call('secretsmanager', 'UpdateSecretVersionStage', { SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: both });
  const token = await startRotation(client, secretArn);
  // Secrets Manager names the secret by ARN.
  for (const Step of STEPS) await rotateKeys({ SecretId: secretArn, ClientRequestToken: token, Step });
  return token;
}

beforeAll(async () => {
  // The authorizer's key cache reads Date.now when it is built: a spy installed first lets a test move its clock.
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs);
  names = uniqueNames();
  ({ secretArn } = await createKeyResources(client, names));
  delete process.env.LOCAL_KEYS_DIR;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    PUBLIC_KEYS_PARAMETER: names.parameter,
    SIGNING_KEY_SECRET_ID: secretArn,
  });
  rotateKeys = (await import('../../lambdas/handlers/rotate-keys')).handler;
  await rotateThroughHandler();
  authorizer = (await import('../../lambdas/handlers/authorizer')).handler;
  // Issuers reread the key every time here (cache 0), so a rotation shows at once.
  issuer = new AccessTokenIssuer(new AwsKeyStore(client, names.parameter, secretArn), tokenConfig(), 0);
});

afterAll(() => {
  jest.restoreAllMocks();
});

describe('authorizer handler against moto', () => {
  it('allows a token issued over AwsKeyStore, with the claims in the context', async () => {
    // Prepare
    const { accessToken } = await issuer.issue({ sub: 'user-1', role: 'user' });

    // Act
    const result = await authorize(accessToken);

    // Assess
    expect(result.principalId).toBe('user-1');
    expect(result.context).toMatchObject({ sub: 'user-1', role: 'user' });
    const statement = result.policyDocument.Statement[0] as { Effect: string; Resource: string[] };
    expect(statement.Effect).toBe('Allow');
    expect(statement.Resource).toContain('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/api/profile');
    expect(statement.Resource.some((r) => r.endsWith('/GET/api/admin'))).toBe(false);
  });

  it('answers Unauthorized for a tampered token', async () => {
    const { accessToken } = await issuer.issue({ sub: 'user-1', role: 'user' });
    const [h, , s] = accessToken.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'user-1', role: 'admin' })).toString('base64url')}.${s}`;

    await expect(authorize(forged)).rejects.toThrow(/^Unauthorized$/);
  });

  it('accepts tokens of the new key after a rotation, and still those of the old key', async () => {
    // Prepare
    const before = await issuer.issue({ sub: 'user-2', role: 'admin' });
    await authorize(before.accessToken);

    // Act: rotate; issuers sign with the new key once it has been published for the lead, and past the
    // refetch cooldown the authorizer reads the new kid from SSM.
    await rotateThroughHandler();
    const during = await issuer.issue({ sub: 'user-2', role: 'admin' });
    skewMs += (KEY_PUBLISH_LEAD_SECONDS + 1) * 1000;
    const after = await issuer.issue({ sub: 'user-2', role: 'admin' });
    skewMs += (PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS + 1) * 1000;

    // Assess
    expect(decodeProtectedHeader(during.accessToken).kid).toBe(decodeProtectedHeader(before.accessToken).kid);
    expect(decodeProtectedHeader(after.accessToken).kid).not.toBe(decodeProtectedHeader(before.accessToken).kid);
    await expect(authorize(after.accessToken)).resolves.toMatchObject({ principalId: 'user-2', context: { role: 'admin' } });
    await expect(authorize(before.accessToken)).resolves.toMatchObject({ principalId: 'user-2' });
  });
});
