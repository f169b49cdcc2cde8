/** The authorizer's key source: the public half only, from SSM or from the local key file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizerKeySource } from '../../../lambdas/authorizer/key-source';
import { AwsKeyStore, FileKeyStore, KeySourceError } from '../../../lambdas/keys/key-store';
import { ensureLocalKeys } from '../../../lambdas/keys/local-keys';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wristband-key-source-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('authorizerKeySource', () => {
  it('reads the SSM parameter, and is never given the signing key secret', async () => {
    const source = authorizerKeySource({ kind: 'aws', region: 'eu-west-1', publicKeysParameter: '/p', signingKeySecretId: 'arn:secret', signingKeyCacheSeconds: 300 });

    expect(source).toBeInstanceOf(AwsKeyStore);
    await expect((source as AwsKeyStore).loadSigningKey()).rejects.toMatchObject({ reason: expect.stringMatching(/no signing key secret/) });
  });

  it('reads the same document as FileKeyStore from the local key directory', async () => {
    const dir = join(root, 'keys');
    await ensureLocalKeys(dir);

    const doc = await authorizerKeySource({ kind: 'file', dir, signingKeyCacheSeconds: 300 }).loadPublicKeys();

    expect(doc).toEqual(await new FileKeyStore(dir).loadPublicKeys());
  });

  it('fails with KeySourceError (503, fail closed) when the file is missing', async () => {
    await expect(authorizerKeySource({ kind: 'file', dir: join(root, 'none'), signingKeyCacheSeconds: 300 }).loadPublicKeys()).rejects.toBeInstanceOf(KeySourceError);
  });
});
