/**
 * AwsJsonClient and AwsKeyStore against moto's SSM and Secrets Manager:
 * the requests are accepted, the answers parsed, the errors typed.
 */
import { AwsServiceError } from '../../lambdas/keys/aws-client';
import { generateSigningKey, publicJwkOf, publishKey, serializePublicKeyDocument } from '../../lambdas/keys/key-set';
import { AwsKeyStore, KeySourceError } from '../../lambdas/keys/key-store';
import { createKeyResources, motoClient, PLACEHOLDER_SECRET, uniqueNames } from './support';

const client = motoClient();

describe('AwsJsonClient against moto', () => {
  it('writes and reads an SSM parameter, with non-ASCII text intact', async () => {
    const { parameter } = uniqueNames();
    const value = '{"note":"clés – ключи – 鍵"}';

    await client.call('ssm', 'PutParameter', { Name: parameter, Value: value, Type: 'String' });
    const out = await client.call('ssm', 'GetParameter', { Name: parameter });

    expect(out.Parameter).toMatchObject({ Name: parameter, Value: value, Type: 'String' });
  });

  it('maps SSM and Secrets Manager errors to their types', async () => {
    const { parameter, secret } = uniqueNames();

    const ssmError = await client.call('ssm', 'GetParameter', { Name: parameter }).catch((e: unknown) => e);
    const smError = await client.call('secretsmanager', 'GetSecretValue', { SecretId: secret }).catch((e: unknown) => e);
    await client.call('ssm', 'PutParameter', { Name: parameter, Value: 'a', Type: 'String' });
    const exists = await client.call('ssm', 'PutParameter', { Name: parameter, Value: 'b', Type: 'String' }).catch((e: unknown) => e);

    expect(ssmError).toBeInstanceOf(AwsServiceError);
    expect(ssmError).toMatchObject({ type: 'ParameterNotFound', status: 400 });
    expect(smError).toMatchObject({ type: 'ResourceNotFoundException' });
    expect(exists).toMatchObject({ type: 'ParameterAlreadyExists' });
  });

  it('creates a secret and reads its AWSCURRENT version', async () => {
    const { secret } = uniqueNames();

    await client.call('secretsmanager', 'CreateSecret', { Name: secret, SecretString: PLACEHOLDER_SECRET });
    const out = await client.call('secretsmanager', 'GetSecretValue', { SecretId: secret, VersionStage: 'AWSCURRENT' });

    expect(out).toMatchObject({ Name: secret, SecretString: PLACEHOLDER_SECRET, VersionStages: ['AWSCURRENT'] });
  });
});

describe('AwsKeyStore against moto', () => {
  it('reads the empty key set the stack creates, and fails closed on the placeholder secret', async () => {
    // Prepare
    const names = uniqueNames();
    const { secretArn } = await createKeyResources(client, names);
    const store = new AwsKeyStore(client, names.parameter, secretArn);

    // Act / Assess
    await expect(store.loadPublicKeys()).resolves.toEqual({ keys: [] });
    const error = await store.loadSigningKey().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySourceError);
    expect(error).toMatchObject({ code: 'service_unavailable' });
  });

  it('reads a published key set and a signing key, by name or by ARN', async () => {
    // Prepare
    const names = uniqueNames();
    const { secretArn } = await createKeyResources(client, names);
    const key = await generateSigningKey(1_700_000_000);
    await client.call('ssm', 'PutParameter', {
      Name: names.parameter,
      Value: serializePublicKeyDocument(publishKey({ keys: [] }, publicJwkOf(key), 1_700_000_000)),
      Type: 'String',
      Overwrite: true,
    });
    await client.call('secretsmanager', 'PutSecretValue', { SecretId: names.secret, SecretString: JSON.stringify(key) });

    // Act
    const byArn = new AwsKeyStore(client, names.parameter, secretArn);
    const byName = new AwsKeyStore(client, names.parameter, names.secret);

    // Assess
    expect((await byArn.loadPublicKeys()).keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
    expect(await byArn.loadSigningKey()).toEqual(key);
    expect(await byName.loadSigningKey()).toEqual(key);
  });

  it('fails with KeySourceError when the parameter or the secret does not exist', async () => {
    const names = uniqueNames();
    const store = new AwsKeyStore(client, names.parameter, names.secret);

    await expect(store.loadPublicKeys()).rejects.toMatchObject({ name: 'KeySourceError', reason: expect.stringMatching(/ParameterNotFound/) });
    await expect(store.loadSigningKey()).rejects.toMatchObject({ name: 'KeySourceError', reason: expect.stringMatching(/ResourceNotFoundException/) });
  });

  it('refuses a parameter that holds private key material', async () => {
    const names = uniqueNames();
    const key = await generateSigningKey(1_700_000_000);
    await client.call('ssm', 'PutParameter', { Name: names.parameter, Value: JSON.stringify({ keys: [{ jwk: key.privateJwk, publishedAt: 1 }] }), Type: 'String' });

    await expect(new AwsKeyStore(client, names.parameter, undefined).loadPublicKeys()).rejects.toMatchObject({
      name: 'KeySourceError',
      reason: expect.stringMatching(/private key material/),
    });
  });
});
