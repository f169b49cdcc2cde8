/**
 * AwsKeyStore against a small local stand-in for SSM and Secrets Manager
 * (the real services, through moto, are in test/aws/). What matters here:
 * which calls are made, and that every failure becomes KeySourceError.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsJsonClient } from '../../../lambdas/keys/aws-client';
import { generateSigningKey, publicJwkOf, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { AwsKeyStore, createKeyStore, createPublicKeySource, FileKeyStore, KeySourceError } from '../../../lambdas/keys/key-store';
import { ensureLocalKeys } from '../../../lambdas/keys/local-keys';
import { rotate, type RotationStep } from '../../../lambdas/keys/rotation';
import { KEY_PUBLISH_LEAD_SECONDS } from '../../../lambdas/contract/settings';
import { FakeSecrets } from './fake-secrets';

interface Call {
  target: string;
  input: Record<string, unknown>;
}

let server: Server;
let endpoint: string;
let calls: Call[] = [];
let answer: (call: Call) => { status: number; body: unknown } = () => ({ status: 200, body: {} });
let key: SigningKeyRecord;

beforeAll(async () => {
  key = await generateSigningKey(1_700_000_000);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { target: String(req.headers['x-amz-target']), input: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> };
      calls.push(call);
      const { status, body } = answer(call);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  calls = [];
});

const client = () =>
  new AwsJsonClient({ region: 'us-east-1', credentials: () => ({ accessKeyId: 'a', secretAccessKey: 's' }), endpoints: { ssm: endpoint, secretsmanager: endpoint }, maxAttempts: 1 }, {});

const publicDoc = () => JSON.stringify({ keys: [{ jwk: publicJwkOf(key), publishedAt: 1_700_000_000 }] });

describe('AwsKeyStore.loadPublicKeys', () => {
  it('reads the SSM parameter by name and parses it', async () => {
    answer = () => ({ status: 200, body: { Parameter: { Name: '/wb/keys', Type: 'String', Value: publicDoc(), Version: 1 } } });

    const doc = await new AwsKeyStore(client(), '/wb/keys', undefined).loadPublicKeys();

    expect(doc.keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
    expect(calls).toEqual([{ target: 'AmazonSSM.GetParameter', input: { Name: '/wb/keys' } }]);
  });

  it.each([
    ['the parameter does not exist', { status: 400, body: { __type: 'ParameterNotFound', message: 'not found' } }, /ParameterNotFound/],
    ['access is denied', { status: 400, body: { __type: 'AccessDeniedException', message: 'no' } }, /AccessDeniedException/],
    ['the parameter has no value', { status: 200, body: { Parameter: { Name: '/wb/keys' } } }, /no value/],
    ['the value is not a key set', { status: 200, body: { Parameter: { Value: '{"keys":"x"}' } } }, /KeyFormatError/],
    ['SSM is failing', { status: 503, body: { __type: 'ServiceUnavailable' } }, /ServiceUnavailable/],
  ])('fails with KeySourceError when %s', async (_name, response, reason) => {
    answer = () => response;

    const error = await new AwsKeyStore(client(), '/wb/keys', undefined).loadPublicKeys().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeySourceError);
    expect(error).toMatchObject({ code: 'service_unavailable' });
    expect((error as KeySourceError).reason).toMatch(reason);
  });
});

describe('AwsKeyStore.loadSigningKey', () => {
  it('reads the AWSCURRENT version of the secret, and the published set to see that it has been published long enough', async () => {
    answer = (call) =>
      call.target === 'AmazonSSM.GetParameter'
        ? { status: 200, body: { Parameter: { Value: publicDoc() } } }
        : { status: 200, body: { SecretString: JSON.stringify(key), VersionStages: ['AWSCURRENT'] } };

    const loaded = await new AwsKeyStore(client(), '/wb/keys', 'wb-secret').loadSigningKey();

    expect(loaded).toEqual(key);
    expect(calls).toEqual([
      { target: 'secretsmanager.GetSecretValue', input: { SecretId: 'wb-secret', VersionStage: 'AWSCURRENT' } },
      { target: 'AmazonSSM.GetParameter', input: { Name: '/wb/keys' } },
    ]);
  });

  it('fails closed while the secret still holds its placeholder (before the first rotation)', async () => {
    answer = () => ({ status: 200, body: { SecretString: '{"placeholder":"replaced by the first rotation"}' } });

    await expect(new AwsKeyStore(client(), '/wb/keys', 'wb-secret').loadSigningKey()).rejects.toBeInstanceOf(KeySourceError);
  });

  it('fails closed when the secret has a binary value only', async () => {
    answer = () => ({ status: 200, body: { SecretBinary: 'AAAA' } });

    await expect(new AwsKeyStore(client(), '/wb/keys', 'wb-secret').loadSigningKey()).rejects.toMatchObject({ reason: expect.stringMatching(/no string value/) });
  });

  it('never asks Secrets Manager when it has no secret id', async () => {
    await expect(new AwsKeyStore(client(), '/wb/keys', undefined).loadSigningKey()).rejects.toBeInstanceOf(KeySourceError);
    expect(calls).toHaveLength(0);
  });
});

/** Points the environment at the local server, which answers SSM with the public document and Secrets Manager with the key. */
function serveBothHalvesFromEnv(): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'a';
  process.env.AWS_SECRET_ACCESS_KEY = 's';
  answer = (call) =>
    call.target === 'AmazonSSM.GetParameter'
      ? { status: 200, body: { Parameter: { Value: publicDoc() } } }
      : { status: 200, body: { SecretString: JSON.stringify(key) } };
}

describe('createPublicKeySource', () => {
  it('hands a verifier the public half only, even when the configuration names the secret', async () => {
    serveBothHalvesFromEnv();

    const source = createPublicKeySource({ kind: 'aws', region: 'us-east-1', publicKeysParameter: '/wb/keys', signingKeySecretId: 'wb-secret', signingKeyCacheSeconds: 300 });

    expect(Object.keys(source)).toEqual(['loadPublicKeys']);
    expect((await source.loadPublicKeys()).keys).toHaveLength(1);
    expect(calls.map((c) => c.target)).toEqual(['AmazonSSM.GetParameter']);
  });

  it('reads the local files when configured with a directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wristband-store-')), 'keys');
    try {
      const local = await ensureLocalKeys(dir);
      const source = createPublicKeySource({ kind: 'file', dir, signingKeyCacheSeconds: 300 });
      expect((await source.loadPublicKeys()).keys.map((k) => k.jwk.kid)).toEqual([local.kid]);
      expect(source).not.toHaveProperty('loadSigningKey');
      expect(createKeyStore({ kind: 'file', dir, signingKeyCacheSeconds: 300 })).toBeInstanceOf(FileKeyStore);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createKeyStore', () => {
  it('reads both halves from AWS for an issuer', async () => {
    serveBothHalvesFromEnv();

    const store = createKeyStore({ kind: 'aws', region: 'us-east-1', publicKeysParameter: '/wb/keys', signingKeySecretId: 'wb-secret', signingKeyCacheSeconds: 300 });

    expect(store).toBeInstanceOf(AwsKeyStore);
    expect((await store.loadSigningKey()).kid).toBe(key.kid);
    expect((await store.loadPublicKeys()).keys[0]?.jwk.kid).toBe(key.kid);
  });
});

describe('AwsKeyStore.loadSigningKey: which key signs during a rotation (the Secrets Manager and SSM model over HTTP)', () => {
  const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  let fake: FakeSecrets;
  let served: Awaited<ReturnType<FakeSecrets['listen']>>;
  let clock: number;
  const now = () => clock * 1000;
  const rotation = async (token: string) => {
    fake.startRotation(token);
    for (const Step of STEPS) await rotate(fake.backend(), { SecretId: fake.secretName, ClientRequestToken: token, Step }, { keepRetiredSeconds: 1265, now });
    return fake.publicKeys().keys.at(-1)!.jwk.kid;
  };
  const signer = async () => {
    const awsClient = new AwsJsonClient(
      { region: 'us-east-1', credentials: () => ({ accessKeyId: 'a', secretAccessKey: 's' }), endpoints: { ssm: served.endpoint, secretsmanager: served.endpoint }, maxAttempts: 1 },
      {},
    );
    return (await new AwsKeyStore(awsClient, fake.parameterName, fake.secretName, { now }).loadSigningKey()).kid;
  };

  beforeEach(async () => {
    fake = new FakeSecrets();
    served = await fake.listen();
    clock = 1_700_000_000;
  });
  afterEach(() => served.close());

  it('signs with the very first key at once: there is no other key, and nobody can hold an older set with keys in it', async () => {
    const first = await rotation('v1');

    expect(await signer()).toBe(first);
  });

  it('keeps signing with the previous key until the new one has been published for KEY_PUBLISH_LEAD_SECONDS, then with the new one', async () => {
    // Prepare
    const first = await rotation('v1');
    clock += 30 * 86_400;
    const second = await rotation('v2');
    const publishedAt = fake.publicKeys().keys.find((k) => k.jwk.kid === second)!.publishedAt;

    // Act / Assess: promoted at once, but not signing yet.
    expect(fake.versionWith('AWSCURRENT')).toBe('v2');
    expect(await signer()).toBe(first);
    clock = publishedAt + KEY_PUBLISH_LEAD_SECONDS - 1;
    expect(await signer()).toBe(first);
    clock = publishedAt + KEY_PUBLISH_LEAD_SECONDS;
    expect(await signer()).toBe(second);
  });

  it('signs with the new key at once when the previous key was removed from the published set (after a compromise)', async () => {
    await rotation('v1');
    clock += 30 * 86_400;
    const second = await rotation('v2');
    fake.parameter = JSON.stringify({ keys: fake.publicKeys().keys.filter((k) => k.jwk.kid === second) });

    expect(await signer()).toBe(second);
  });
});
