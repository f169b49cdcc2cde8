/**
 * Our SigV4 signatures checked by moto itself. moto verifies signatures
 * (recomputing them with botocore's signer) and IAM policies once
 * `INITIAL_NO_AUTH_ACTION_COUNT` actions have passed; this file runs a
 * private moto, creates users, a role and policies while checks are off,
 * then turns them on (POST /moto-api/reset-auth) for every later request.
 */
import { request } from 'node:http';
import { AwsJsonClient, AwsServiceError, signRequest, type AwsCredentials } from '../../lambdas/keys/aws-client';
import { generateSigningKey, publicJwkOf, publishKey, serializePublicKeyDocument } from '../../lambdas/keys/key-set';
import { AwsKeyStore, KeySourceError } from '../../lambdas/keys/key-store';
import { startMoto, type Moto } from './moto';
import { REGION, TEST_CREDENTIALS } from './support';

const PARAMETER = '/wristband/sigv4/public-keys';
const SECRET = 'wristband-sigv4-signing-key';

let moto: Moto;
let issuerKeys: AwsCredentials;
let verifierKeys: AwsCredentials;
let roleSession: AwsCredentials;

function post(endpoint: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An AWS Query protocol call (IAM, STS), signed with our signer; returns the XML. */
async function query(service: 'iam' | 'sts', params: Record<string, string>): Promise<string> {
  const url = new URL(moto.endpoint);
  const body = new URLSearchParams({ ...params, Version: service === 'iam' ? '2010-05-08' : '2011-06-15' }).toString();
  const headers = signRequest({
    method: 'POST',
    host: url.host,
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    service,
    region: REGION,
    credentials: TEST_CREDENTIALS,
    date: new Date(),
  });
  const { status, text } = await post(moto.endpoint, '/', headers, body);
  if (status !== 200) throw new Error(`${service} ${params.Action} failed with ${status}: ${text}`);
  return text;
}

const xml = (text: string, tag: string): string => {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text);
  if (!match?.[1]) throw new Error(`no <${tag}> in ${text.slice(0, 300)}`);
  return match[1];
};

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

async function userWithPolicy(name: string, document: string): Promise<AwsCredentials> {
  await query('iam', { Action: 'CreateUser', UserName: name });
  await query('iam', { Action: 'PutUserPolicy', UserName: name, PolicyName: `${name}-policy`, PolicyDocument: document });
  const out = await query('iam', { Action: 'CreateAccessKey', UserName: name });
  return { accessKeyId: xml(out, 'AccessKeyId'), secretAccessKey: xml(out, 'SecretAccessKey') };
}

const clientWith = (credentials: AwsCredentials) =>
  new AwsJsonClient({ region: REGION, credentials: () => credentials, endpoints: { ssm: moto.endpoint, secretsmanager: moto.endpoint }, maxAttempts: 1 }, {});

beforeAll(async () => {
  moto = await startMoto();
  // Everything the stack would grant, written while moto does not check yet.
  issuerKeys = await userWithPolicy(
    'issuer',
    policy([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter', 'secretsmanager:*'], Resource: '*' }]),
  );
  // The authorizer's grant: read the public key parameter, nothing else.
  verifierKeys = await userWithPolicy('verifier', policy([{ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' }]));
  // Lambda functions run with role session credentials (ASIA..., with a session token).
  await query('iam', {
    Action: 'CreateRole',
    RoleName: 'rotation-role',
    AssumeRolePolicyDocument: policy([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }]),
  });
  await query('iam', {
    Action: 'PutRolePolicy',
    RoleName: 'rotation-role',
    PolicyName: 'rotation',
    PolicyDocument: policy([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter', 'secretsmanager:*'], Resource: '*' }]),
  });
  const assumed = await query('sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/rotation-role', RoleSessionName: 'wristband-test' });
  roleSession = { accessKeyId: xml(assumed, 'AccessKeyId'), secretAccessKey: xml(assumed, 'SecretAccessKey'), sessionToken: xml(assumed, 'SessionToken') };

  const key = await generateSigningKey(1_700_000_000);
  const setup = clientWith(TEST_CREDENTIALS);
  await setup.call('ssm', 'PutParameter', { Name: PARAMETER, Value: serializePublicKeyDocument(publishKey({ keys: [] }, publicJwkOf(key), 1)), Type: 'String' });
  await setup.call('secretsmanager', 'CreateSecret', { Name: SECRET, SecretString: JSON.stringify(key) });

  // From now on moto checks the signature and the policy of every request.
  const reset = await post(moto.endpoint, '/moto-api/reset-auth', {}, '0');
  expect(reset.status).toBe(200);
});

afterAll(async () => {
  await moto?.stop();
});

describe('moto with signature checks on', () => {
  it('accepts our signatures with an IAM user’s keys', async () => {
    const client = clientWith(issuerKeys);

    await client.call('ssm', 'PutParameter', { Name: `${PARAMETER}-scratch`, Value: 'ключ – €', Type: 'String', Overwrite: true });
    const out = await client.call('ssm', 'GetParameter', { Name: `${PARAMETER}-scratch` });
    const secret = await client.call('secretsmanager', 'GetSecretValue', { SecretId: SECRET });

    expect((out.Parameter as { Value: string }).Value).toBe('ключ – €');
    expect(typeof secret.SecretString).toBe('string');
  });

  it('accepts our signatures with role session credentials (session token signed)', async () => {
    const store = new AwsKeyStore(clientWith(roleSession), PARAMETER, SECRET);

    await expect(store.loadPublicKeys()).resolves.toMatchObject({ keys: [expect.anything()] });
    await expect(store.loadSigningKey()).resolves.toMatchObject({ kid: expect.any(String) });
  });

  it('refuses a signature made with the wrong secret key', async () => {
    const error = await clientWith({ ...issuerKeys, secretAccessKey: `${issuerKeys.secretAccessKey}x` })
      .call('ssm', 'GetParameter', { Name: PARAMETER })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: expect.stringMatching(/SignatureDoesNotMatch/) });
    expect((error as AwsServiceError).retryable).toBe(false);
  });

  it('refuses a wrong session token', async () => {
    const error = await clientWith({ ...roleSession, sessionToken: `${roleSession.sessionToken}x` })
      .call('ssm', 'GetParameter', { Name: PARAMETER })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: 'InvalidClientTokenId', status: 403 });
  });

  it('refuses an access key it does not know', async () => {
    const error = await clientWith({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' })
      .call('ssm', 'GetParameter', { Name: PARAMETER })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: expect.stringMatching(/InvalidClientTokenId|UnrecognizedClient/) });
  });

  it('holds a verifier to its grant: public keys yes, the signing key no (KeySourceError)', async () => {
    const store = new AwsKeyStore(clientWith(verifierKeys), PARAMETER, SECRET);

    await expect(store.loadPublicKeys()).resolves.toMatchObject({ keys: [expect.anything()] });
    const error = await store.loadSigningKey().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySourceError);
    expect((error as KeySourceError).reason).toMatch(/AccessDenied/);
  });
});
