/**
 * The rotation function as Secrets Manager invokes it, against the
 * in-memory Secrets Manager/SSM model served over HTTP (the real services
 * through moto: test/aws/rotation.aws.test.ts).
 */
import type { handler as RotateHandler } from '../../../lambdas/handlers/rotate-keys';
import { parseSigningKey } from '../../../lambdas/keys/key-set';
import { ConfigError } from '../../../lambdas/contract/config';
import { FAKE_SECRET_ARN, type FakeSecrets, ROTATION_STEPS, serveFakeAwsKeys } from '../keys/fake-secrets';

const STEPS = ROTATION_STEPS;
const SECRET_ARN = FAKE_SECRET_ARN;

let fake: FakeSecrets;
let targets: string[];
let close: () => Promise<void>;

beforeEach(async () => {
  jest.resetModules();
  ({ fake, targets, close } = await serveFakeAwsKeys());
});

afterEach(async () => {
  await close();
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
    expect(targets).toHaveLength(0);
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
