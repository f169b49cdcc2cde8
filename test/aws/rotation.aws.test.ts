/**
 * Rotation against moto's Secrets Manager (which models version stages)
 * and SSM: the four steps through awsRotationBackend, twice, as Secrets
 * Manager would call them.
 */
import { awsRotationBackend, rotate, RotationError, type RotationStep } from '../../lambdas/keys/rotation';
import { parsePublicKeyDocument, parseSigningKey, retiredKeyLifetimeSeconds } from '../../lambdas/keys/key-set';
import { AwsKeyStore } from '../../lambdas/keys/key-store';
import { KEY_PUBLISH_LEAD_SECONDS } from '../../lambdas/contract/settings';
import { createKeyResources, motoClient, PLACEHOLDER_SECRET, startRotation, uniqueNames, versionStages } from './support';

const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const DAY = 86_400;
const keepRetiredSeconds = retiredKeyLifetimeSeconds({ accessTokenTtlSeconds: 900, clockToleranceSeconds: 5, signingKeyCacheSeconds: 300 });
const client = motoClient();

let names: ReturnType<typeof uniqueNames>;
let secretArn: string;
let clockSeconds: number;
// No publish lead, except in the test of it below.
const options = () => ({ keepRetiredSeconds, publishLeadSeconds: 0, now: () => clockSeconds * 1000 });

beforeEach(async () => {
  names = uniqueNames();
  ({ secretArn } = await createKeyResources(client, names));
  clockSeconds = 1_750_000_000;
});

const backend = () => awsRotationBackend(client, secretArn, names.parameter);
const stepEvent = (token: string, Step: RotationStep) => ({ SecretId: secretArn, ClientRequestToken: token, Step });
const secretAt = async (stage: string) =>
  String((await client.call('secretsmanager', 'GetSecretValue', { SecretId: secretArn, VersionStage: stage })).SecretString);
const publishedDoc = async () =>
  parsePublicKeyDocument(String(((await client.call('ssm', 'GetParameter', { Name: names.parameter })).Parameter as { Value: string }).Value));

/**
 * moto refuses a new RotateSecret while AWSPENDING shares a version with
 * AWSCURRENT (the state a finished rotation leaves, which real Secrets
 * Manager accepts: its check is the other way round). Detach the label, as
 * Secrets Manager itself may do at the end of a rotation.
 */
async function clearFinishedPending(): Promise<void> {
  const stages = await versionStages(client, secretArn);
  const both = Object.entries(stages).find(([, labels]) => labels.includes('AWSPENDING') && labels.includes('AWSCURRENT'))?.[0];
  if (both) await client.call('secretsmanager', 'UpdateSecretVersionStage', { SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: both });
}

async function fullRotation(): Promise<string> {
  await clearFinishedPending();
  const token = await startRotation(client, secretArn);
  for (const Step of STEPS) await rotate(backend(), stepEvent(token, Step), options());
  return token;
}

describe('rotation against moto', () => {
  it('the first rotation replaces the placeholder with a published key', async () => {
    // Act
    const token = await fullRotation();

    // Assess
    const stages = await versionStages(client, secretArn);
    expect(stages[token]).toContain('AWSCURRENT');
    expect(await secretAt('AWSPREVIOUS')).toBe(PLACEHOLDER_SECRET);
    const key = parseSigningKey(await secretAt('AWSCURRENT'));
    expect(await publishedDoc()).toEqual({ keys: [{ jwk: expect.objectContaining({ kid: key.kid }), publishedAt: clockSeconds }] });
    // What an issuer reads through AwsKeyStore is that key.
    expect((await new AwsKeyStore(client, names.parameter, secretArn).loadSigningKey()).kid).toBe(key.kid);
  });

  it('the first rotation creates the parameter when the stack has not (it never does), and verifiers fail closed until then', async () => {
    // Prepare: the deployed state: a secret, and no parameter.
    await client.call('ssm', 'DeleteParameter', { Name: names.parameter });
    await expect(new AwsKeyStore(client, names.parameter, secretArn).loadPublicKeys()).rejects.toMatchObject({ code: 'service_unavailable' });

    // Act
    await fullRotation();

    // Assess
    const key = parseSigningKey(await secretAt('AWSCURRENT'));
    expect((await publishedDoc()).keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
  });

  it('a second rotation makes the first key AWSPREVIOUS, retired but still published; a third one much later prunes it', async () => {
    // Prepare
    const first = await fullRotation();
    const firstKey = parseSigningKey(await secretAt('AWSCURRENT'));
    clockSeconds += 30 * DAY;

    // Act
    const second = await fullRotation();

    // Assess
    const stages = await versionStages(client, secretArn);
    expect(stages[second]).toContain('AWSCURRENT');
    expect(stages[first]).toEqual(['AWSPREVIOUS']);
    const secondKey = parseSigningKey(await secretAt('AWSCURRENT'));
    expect(parseSigningKey(await secretAt('AWSPREVIOUS')).kid).toBe(firstKey.kid);
    expect((await publishedDoc()).keys.map((k) => [k.jwk.kid, k.retiredAt])).toEqual([
      [firstKey.kid, clockSeconds],
      [secondKey.kid, undefined],
    ]);

    // Act: a month later.
    clockSeconds += 30 * DAY;
    await fullRotation();

    // Assess
    const thirdKey = parseSigningKey(await secretAt('AWSCURRENT'));
    expect((await publishedDoc()).keys.map((k) => [k.jwk.kid, k.retiredAt])).toEqual([
      [secondKey.kid, clockSeconds],
      [thirdKey.kid, undefined],
    ]);
  });

  it('after a manual rollback of AWSCURRENT, issuers sign with the rolled-back key, and the next rotation keeps it published until its tokens have expired', async () => {
    // Prepare: two rotations, then the operator moves AWSCURRENT back to the first version.
    const first = await fullRotation();
    const firstKey = parseSigningKey(await secretAt('AWSCURRENT'));
    clockSeconds += 30 * DAY;
    const second = await fullRotation();
    await clearFinishedPending();
    await client.call('secretsmanager', 'UpdateSecretVersionStage', { SecretId: secretArn, VersionStage: 'AWSCURRENT', MoveToVersionId: first, RemoveFromVersionId: second });
    const issuer = new AwsKeyStore(client, names.parameter, secretArn, { now: () => clockSeconds * 1000 });
    expect((await issuer.loadSigningKey()).kid).toBe(firstKey.kid);
    clockSeconds += 30 * DAY;

    // Act: the next scheduled rotation, with the real publish lead.
    await clearFinishedPending();
    const token = await startRotation(client, secretArn);
    for (const Step of STEPS) await rotate(backend(), stepEvent(token, Step), { keepRetiredSeconds, now: () => clockSeconds * 1000 });

    // Assess: issuers keep signing with the rolled-back key for the lead, and it stays published (retired from then).
    expect(parseSigningKey(await secretAt('AWSPREVIOUS')).kid).toBe(firstKey.kid);
    expect((await issuer.loadSigningKey()).kid).toBe(firstKey.kid);
    expect((await publishedDoc()).keys.find((k) => k.jwk.kid === firstKey.kid)?.retiredAt).toBe(clockSeconds + KEY_PUBLISH_LEAD_SECONDS);
    clockSeconds += KEY_PUBLISH_LEAD_SECONDS;
    expect((await issuer.loadSigningKey()).kid).toBe(parseSigningKey(await secretAt('AWSCURRENT')).kid);
  });

  it('every step may be repeated: the result is that of one run', async () => {
    await clearFinishedPending();
    const token = await startRotation(client, secretArn);
    for (const Step of STEPS) {
      await rotate(backend(), stepEvent(token, Step), options());
      await rotate(backend(), stepEvent(token, Step), options());
    }

    const key = parseSigningKey(await secretAt('AWSCURRENT'));
    expect((await versionStages(client, secretArn))[token]).toContain('AWSCURRENT');
    expect((await publishedDoc()).keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
  });

  it('refuses a token that is not AWSPENDING, and one moto never issued', async () => {
    const first = await fullRotation();
    clockSeconds += 30 * DAY;
    await fullRotation();

    await expect(rotate(backend(), stepEvent(first, 'createSecret'), options())).rejects.toThrow(RotationError);
    await expect(rotate(backend(), stepEvent('00000000-0000-4000-8000-000000000000', 'createSecret'), options())).rejects.toThrow(/does not exist/);
  });

  it('finishSecret refuses a key that setSecret never published, and the placeholder stays current', async () => {
    const token = await startRotation(client, secretArn);
    await rotate(backend(), stepEvent(token, 'createSecret'), options());

    await expect(rotate(backend(), stepEvent(token, 'finishSecret'), options())).rejects.toThrow(/not published/);
    expect(await secretAt('AWSCURRENT')).toBe(PLACEHOLDER_SECRET);
  });
});
