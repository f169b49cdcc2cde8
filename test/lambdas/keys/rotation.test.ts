/**
 * Signing-key rotation in Secrets Manager's four steps, against an
 * in-memory model of its staging labels and of the SSM parameter
 * (./fake-secrets.ts). The same model served over HTTP checks the AWS
 * backend's calls.
 */
import { generateSigningKey, parseSigningKey, publicJwkOf, serializePublicKeyDocument, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { AwsJsonClient } from '../../../lambdas/keys/aws-client';
import { awsRotationBackend, rotate, RotationError, type RotationEvent, type RotationStep } from '../../../lambdas/keys/rotation';
import { KEY_PUBLISH_LEAD_SECONDS } from '../../../lambdas/contract/settings';
import { FakeSecrets, PLACEHOLDER } from './fake-secrets';

const KEEP = 1265; // retiredKeyLifetimeSeconds with the defaults
const DAY = 86_400;
const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const T0 = 1_700_000_000;

let fake: FakeSecrets;
let clockSeconds: number;
// No publish lead here: the tests below of the lead itself set it.
const options = () => ({ keepRetiredSeconds: KEEP, publishLeadSeconds: 0, now: () => clockSeconds * 1000 });
const event = (token: string, Step: RotationStep): RotationEvent => ({ SecretId: fake.secretName, ClientRequestToken: token, Step });

async function step(token: string, name: RotationStep): Promise<void> {
  await rotate(fake.backend(), event(token, name), options());
}

/** What Secrets Manager does for one scheduled rotation. */
async function fullRotation(token: string): Promise<SigningKeyRecord> {
  fake.startRotation(token);
  for (const name of STEPS) await step(token, name);
  return parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);
}

const published = () => fake.publicKeys().keys.map((k) => ({ kid: k.jwk.kid, retiredAt: k.retiredAt }));

beforeEach(() => {
  fake = new FakeSecrets();
  clockSeconds = T0;
});

describe('rotate: the first rotation (from the placeholder the stack creates)', () => {
  it('creates a key, publishes it, and makes it AWSCURRENT, the placeholder AWSPREVIOUS', async () => {
    // Act
    const key = await fullRotation('v1');

    // Assess
    expect(fake.stages()).toEqual({ v1: ['AWSCURRENT', 'AWSPENDING'], 'initial-version': ['AWSPREVIOUS'] });
    expect(key.createdAt).toBe(T0);
    expect(fake.publicKeys()).toEqual({ keys: [{ jwk: publicJwkOf(key), publishedAt: T0 }] });
    expect(fake.getSecretValue({ stage: 'AWSPREVIOUS' }).value).toBe(PLACEHOLDER);
    expect(fake.parameter).not.toContain(key.privateJwk.d);
  });

  it('publishes the new public key before it becomes current', async () => {
    const key = await fullRotation('v1');

    const promote = fake.events.find((e) => e.op === 'promote');
    const firstPublish = fake.events.findIndex((e) => e.op === 'writePublicKeys' && e.kids.includes(key.kid));
    expect(promote).toEqual({ op: 'promote', versionId: 'v1', publishedKids: [key.kid] });
    expect(firstPublish).toBeGreaterThanOrEqual(0);
    expect(firstPublish).toBeLessThan(fake.events.indexOf(promote!));
  });

  it('leaves the placeholder current until finishSecret', async () => {
    fake.startRotation('v1');
    for (const name of STEPS.slice(0, 3)) await step('v1', name);

    expect(fake.getSecretValue({ stage: 'AWSCURRENT' }).value).toBe(PLACEHOLDER);
    expect(fake.stages().v1).toEqual(['AWSPENDING']);
  });
});

describe('rotate: later rotations', () => {
  it('retires the previous key on the second rotation but keeps it published', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;

    const second = await fullRotation('v2');

    expect(fake.versionWith('AWSCURRENT')).toBe('v2');
    expect(fake.versionWith('AWSPREVIOUS')).toBe('v1');
    expect(parseSigningKey(fake.getSecretValue({ stage: 'AWSPREVIOUS' }).value).kid).toBe(first.kid);
    expect(published()).toEqual([
      { kid: first.kid, retiredAt: clockSeconds },
      { kid: second.kid, retiredAt: undefined },
    ]);
    expect(fake.stages()).not.toHaveProperty('initial-version');
  });

  it('prunes a retired key on a rotation long after every token it signed expired', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    const second = await fullRotation('v2');
    const secondFinishedAt = clockSeconds;
    clockSeconds += 30 * DAY;

    const third = await fullRotation('v3');

    expect(published()).toEqual([
      { kid: second.kid, retiredAt: clockSeconds },
      { kid: third.kid, retiredAt: undefined },
    ]);
    expect(published().map((k) => k.kid)).not.toContain(first.kid);
    expect(secondFinishedAt).toBeLessThan(clockSeconds);
  });

  it('keeps a retired key published while its tokens may still be alive (rotations in quick succession)', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 60;
    await fullRotation('v2');
    clockSeconds += KEEP; // exactly the lifetime since `first` retired: a token may still verify

    await fullRotation('v3');

    expect(published().map((k) => k.kid)).toContain(first.kid);
  });
});

describe('rotate: idempotent steps (Secrets Manager retries them)', () => {
  it('createSecret twice keeps the first pending key', async () => {
    fake.startRotation('v1');
    await step('v1', 'createSecret');
    const pending = fake.getSecretValue({ versionId: 'v1' }).value;

    await step('v1', 'createSecret');

    expect(fake.getSecretValue({ versionId: 'v1' }).value).toBe(pending);
    expect(fake.events.filter((e) => e.op === 'putPendingValue')).toHaveLength(1);
  });

  it('setSecret twice publishes once and does not move publishedAt', async () => {
    fake.startRotation('v1');
    await step('v1', 'createSecret');
    await step('v1', 'setSecret');
    const after = fake.parameter;
    clockSeconds += 100;

    await step('v1', 'setSecret');

    expect(fake.parameter).toBe(after);
    expect(fake.events.filter((e) => e.op === 'writePublicKeys')).toHaveLength(1);
  });

  it('every step repeated after the rotation finished changes nothing', async () => {
    await fullRotation('v1');
    clockSeconds += 30 * DAY;
    const second = await fullRotation('v2');
    const stages = fake.stages();
    const parameter = fake.parameter;
    clockSeconds += 60;

    for (const name of STEPS) await step('v2', name);

    expect(fake.stages()).toEqual(stages);
    expect(fake.parameter).toBe(parameter);
    expect(parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value).kid).toBe(second.kid);
  });

  it('the whole sequence run twice in a row gives the same result as once', async () => {
    fake.startRotation('v1');
    for (const name of STEPS) {
      await step('v1', name);
      await step('v1', name);
    }
    const key = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);

    expect(fake.stages()).toEqual({ v1: ['AWSCURRENT', 'AWSPENDING'], 'initial-version': ['AWSPREVIOUS'] });
    expect(published()).toEqual([{ kid: key.kid, retiredAt: undefined }]);
  });

  it('a finishSecret retried after a failure between promotion and retirement still retires the old key', async () => {
    // Prepare: the parameter write after the promotion fails once (a crash, a throttle).
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    fake.startRotation('v2');
    for (const name of STEPS.slice(0, 3)) await step('v2', name);
    fake.failNextParameterWrites = 1;
    await expect(step('v2', 'finishSecret')).rejects.toThrow();
    expect(fake.versionWith('AWSCURRENT')).toBe('v2');

    // Act: Secrets Manager retries the step.
    await step('v2', 'finishSecret');

    // Assess: the old key is marked retired now, so it leaves the set on schedule.
    expect(published().find((k) => k.kid === first.kid)?.retiredAt).toBe(clockSeconds);
  });
});

describe('rotate: refusals', () => {
  it('refuses a token Secrets Manager does not know', async () => {
    await expect(step('nope', 'createSecret')).rejects.toThrow(RotationError);
    await expect(step('nope', 'createSecret')).rejects.toThrow(/does not exist/);
  });

  it('refuses a token that is neither AWSPENDING nor AWSCURRENT', async () => {
    await fullRotation('v1');
    clockSeconds += 30 * DAY;
    await fullRotation('v2');

    // v1 is AWSPREVIOUS now; a late retry of its steps must not touch anything.
    const parameter = fake.parameter;
    for (const name of STEPS) await expect(step('v1', name)).rejects.toThrow(/not AWSPENDING/);
    expect(fake.parameter).toBe(parameter);
    expect(fake.versionWith('AWSCURRENT')).toBe('v2');
  });

  it('refuses setSecret, testSecret and finishSecret before createSecret put a value', async () => {
    fake.startRotation('v1');
    for (const name of STEPS.slice(1)) await expect(step('v1', name)).rejects.toThrow(/no value/);
    expect(fake.versionWith('AWSCURRENT')).toBe('initial-version');
  });

  it('refuses a pending value that is not a signing key', async () => {
    fake.startRotation('v1');
    fake.putSecretValue('v1', 'not a key', ['AWSPENDING']);

    await expect(step('v1', 'setSecret')).rejects.toThrow();
    expect(fake.publicKeys().keys).toHaveLength(0);
  });

  it('testSecret fails when the pending key was not published', async () => {
    fake.startRotation('v1');
    await step('v1', 'createSecret');

    await expect(step('v1', 'testSecret')).rejects.toThrow(/not published/);
  });

  it('testSecret fails when the published key under that kid does not match the private key', async () => {
    // Prepare: the parameter holds another key's coordinates under the pending kid.
    fake.startRotation('v1');
    await step('v1', 'createSecret');
    await step('v1', 'setSecret');
    const other = await generateSigningKey(T0);
    const doc = fake.publicKeys();
    const tampered = { keys: doc.keys.map((k) => ({ ...k, jwk: { ...k.jwk, x: other.privateJwk.x, y: other.privateJwk.y } })) };
    fake.parameter = serializePublicKeyDocument(tampered);

    // Act / Assess
    await expect(step('v1', 'testSecret')).rejects.toThrow(/does not match/);
  });

  it('finishSecret refuses to make a key current that is not published', async () => {
    // Steps out of order (a manual invocation): the key would sign tokens nobody can verify.
    fake.startRotation('v1');
    await step('v1', 'createSecret');

    await expect(step('v1', 'finishSecret')).rejects.toThrow(/not published/);
    expect(fake.versionWith('AWSCURRENT')).toBe('initial-version');
  });

  it('refuses an unknown step', async () => {
    fake.startRotation('v1');
    await expect(rotate(fake.backend(), { ...event('v1', 'createSecret'), Step: 'dropSecret' as RotationStep }, options())).rejects.toThrow(/unknown rotation step/);
  });
});

describe('awsRotationBackend (the model served over AWS JSON 1.1)', () => {
  it('runs two full rotations through the AWS client and makes the expected calls', async () => {
    const server = await fake.listen();
    try {
      // Prepare
      const client = new AwsJsonClient(
        { region: 'us-east-1', credentials: () => ({ accessKeyId: 'a', secretAccessKey: 's' }), endpoints: { ssm: server.endpoint, secretsmanager: server.endpoint }, maxAttempts: 1 },
        {},
      );
      const backend = awsRotationBackend(client, fake.secretName, fake.parameterName);
      const run = async (token: string) => {
        fake.startRotation(token);
        for (const Step of STEPS) await rotate(backend, { SecretId: fake.secretName, ClientRequestToken: token, Step }, options());
      };

      // Act
      await run('v1');
      const first = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);
      clockSeconds += 30 * DAY;
      await run('v2');
      const second = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);

      // Assess
      expect(fake.stages()).toEqual({ v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT', 'AWSPENDING'] });
      expect(published()).toEqual([
        { kid: first.kid, retiredAt: clockSeconds },
        { kid: second.kid, retiredAt: undefined },
      ]);
      expect(new Set(server.targets)).toEqual(
        new Set([
          'secretsmanager.DescribeSecret',
          'secretsmanager.GetSecretValue',
          'secretsmanager.PutSecretValue',
          'secretsmanager.UpdateSecretVersionStage',
          'AmazonSSM.GetParameter',
          'AmazonSSM.PutParameter',
        ]),
      );
      // A repeated createSecret finds the pending value and writes nothing.
      const before = server.targets.length;
      await rotate(backend, { SecretId: fake.secretName, ClientRequestToken: 'v2', Step: 'createSecret' }, options());
      expect(server.targets.slice(before)).toEqual(['secretsmanager.DescribeSecret']);
    } finally {
      await server.close();
    }
  });

  it('reports a missing pending value as "no value" and passes other errors through', async () => {
    const server = await fake.listen();
    try {
      const client = new AwsJsonClient(
        { region: 'us-east-1', credentials: () => ({ accessKeyId: 'a', secretAccessKey: 's' }), endpoints: { ssm: server.endpoint, secretsmanager: server.endpoint }, maxAttempts: 1 },
        {},
      );
      fake.startRotation('v1');
      await expect(rotate(awsRotationBackend(client, fake.secretName, fake.parameterName), { SecretId: fake.secretName, ClientRequestToken: 'v1', Step: 'setSecret' }, options())).rejects.toThrow(
        /no value/,
      );
      await expect(awsRotationBackend(client, 'another-secret', fake.parameterName).versionStages()).rejects.toMatchObject({ type: 'ResourceNotFoundException' });
    } finally {
      await server.close();
    }
  });
});

describe('rotate: the publish lead (issuers wait, rotation does not)', () => {
  const withLead = () => ({ keepRetiredSeconds: KEEP, now: () => clockSeconds * 1000 });

  it('promotes the new key at once and retires the previous one from when the new one may sign: published + KEY_PUBLISH_LEAD_SECONDS', async () => {
    // Prepare
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    fake.startRotation('v2');
    for (const name of STEPS.slice(0, 3)) await rotate(fake.backend(), event('v2', name), withLead());
    const publishedAt = clockSeconds;
    clockSeconds += 2; // testSecret and friends took two seconds

    // Act
    await rotate(fake.backend(), event('v2', 'finishSecret'), withLead());

    // Assess: no wait, and the old key counts as signing until the handover.
    expect(fake.versionWith('AWSCURRENT')).toBe('v2');
    expect(published().find((k) => k.kid === first.kid)?.retiredAt).toBe(publishedAt + KEY_PUBLISH_LEAD_SECONDS);
  });

  it('retires the previous key from now when the new key was published longer ago than the lead', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    fake.startRotation('v2');
    for (const name of STEPS.slice(0, 3)) await rotate(fake.backend(), event('v2', name), withLead());
    clockSeconds += KEY_PUBLISH_LEAD_SECONDS + 100;

    await rotate(fake.backend(), event('v2', 'finishSecret'), withLead());

    expect(published().find((k) => k.kid === first.kid)?.retiredAt).toBe(clockSeconds);
  });
});

describe('rotate: after a manual rollback of AWSCURRENT', () => {
  /** What an operator does to go back to the previous key: move AWSCURRENT back to it. */
  const rollBack = (to: string, from: string) => fake.updateSecretVersionStage('AWSCURRENT', to, from);

  it('the next rotation keeps the rolled-back key published (it signed until now), retired afresh', async () => {
    // Prepare: v1, then v2 (v1 retired), then a rollback makes v1 current again, and issuers sign with it for 30 days.
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    await fullRotation('v2');
    rollBack('v1', 'v2');
    clockSeconds += 30 * DAY;

    // Act
    const third = await fullRotation('v3');

    // Assess: v1 stays published until every token it signs during v3's lead has expired.
    expect(fake.versionWith('AWSPREVIOUS')).toBe('v1');
    expect(published().find((k) => k.kid === first.kid)).toEqual({ kid: first.kid, retiredAt: clockSeconds });
    expect(published().map((k) => k.kid)).toContain(third.kid);
  });

  it('a retried finishSecret after such a rotation keeps the fresh retirement time', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    await fullRotation('v2');
    rollBack('v1', 'v2');
    clockSeconds += 30 * DAY;
    await fullRotation('v3');
    const retiredAt = published().find((k) => k.kid === first.kid)?.retiredAt;
    clockSeconds += 60;

    await step('v3', 'finishSecret');

    expect(published().find((k) => k.kid === first.kid)?.retiredAt).toBe(retiredAt);
  });

  it('a rotation while the rollback is still current retires the rolled-back key, and a later one prunes it on schedule', async () => {
    const first = await fullRotation('v1');
    clockSeconds += 30 * DAY;
    await fullRotation('v2');
    rollBack('v1', 'v2');
    clockSeconds += 30 * DAY;
    await fullRotation('v3');
    clockSeconds += KEEP + 1;

    await fullRotation('v4');

    expect(published().map((k) => k.kid)).not.toContain(first.kid);
  });
});
