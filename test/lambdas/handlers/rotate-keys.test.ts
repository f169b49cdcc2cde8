/**
 * The rotation function as Secrets Manager invokes it, against the
 * in-memory Secrets Manager/SSM model served over HTTP (the real services
 * through moto: test/aws/rotation.aws.test.ts).
 */
import type { handler as RotateHandler } from '../../../lambdas/handlers/rotate-keys';
import { parseSigningKey } from '../../../lambdas/keys/key-set';
import { ConfigError } from '../../../lambdas/shared/config';
import { FakeSecrets } from '../keys/fake-secrets';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wristband-signing-key-AbCdEf';

let fake: FakeSecrets;
let server: Awaited<ReturnType<FakeSecrets['listen']>>;

beforeEach(async () => {
  fake = new FakeSecrets(SECRET_ARN, '/wristband/test/public-keys');
  server = await fake.listen();
  jest.resetModules();
  delete process.env.LOCAL_KEYS_DIR;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: server.endpoint,
    SIGNING_KEY_SECRET_ID: SECRET_ARN,
    PUBLIC_KEYS_PARAMETER: '/wristband/test/public-keys',
  });
});

afterEach(async () => {
  await server.close();
});

async function loadHandler(): Promise<typeof RotateHandler> {
  return (await import('../../../lambdas/handlers/rotate-keys')).handler;
}

describe('rotate-keys handler', () => {
  it('runs the four steps Secrets Manager sends and leaves a published, current key', async () => {
    // Prepare
    const handler = await loadHandler();
    fake.startRotation('token-1');

    // Act
    for (const Step of STEPS) await handler({ SecretId: SECRET_ARN, ClientRequestToken: 'token-1', Step });

    // Assess
    const current = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);
    expect(fake.versionWith('AWSCURRENT')).toBe('token-1');
    expect(fake.publicKeys().keys.map((k) => k.jwk.kid)).toEqual([current.kid]);
  });

  it('refuses an event for another secret without touching anything', async () => {
    const handler = await loadHandler();
    fake.startRotation('token-1');

    await expect(handler({ SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ', ClientRequestToken: 'token-1', Step: 'createSecret' })).rejects.toThrow(
      /does not rotate/,
    );
    await expect(handler(undefined as never)).rejects.toThrow(/does not rotate/);
    expect(server.targets).toHaveLength(0);
  });

  it('fails at cold start without its secret or parameter', async () => {
    delete process.env.SIGNING_KEY_SECRET_ID;
    // A fresh module registry: the error is the fresh ConfigError class, so match by name.
    await expect(loadHandler()).rejects.toMatchObject({ name: ConfigError.name, message: expect.stringMatching(/SIGNING_KEY_SECRET_ID/) });

    jest.resetModules();
    process.env.SIGNING_KEY_SECRET_ID = SECRET_ARN;
    process.env.LOCAL_KEYS_DIR = '/tmp/not-for-rotation';
    await expect(loadHandler()).rejects.toThrow(/rotation needs/);
  });
});
