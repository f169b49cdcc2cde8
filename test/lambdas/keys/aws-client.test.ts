/**
 * The hand-written JSON 1.1 client: its SigV4 signature must be byte for
 * byte the AWS SDK's, and its error handling must be what the key store and
 * rotation code rely on (typed errors, retries only for transient failures).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsJsonClient, AwsServiceError, credentialsFromEnv, signRequest, type AwsCredentials } from '../../../lambdas/keys/aws-client';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** The SDK's node hash (@smithy/hash-node), written out: SHA-256, or HMAC-SHA-256 with a secret. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

async function sdkAuthorization(input: {
  host: string;
  headers: Record<string, string>;
  body: string;
  service: string;
  region: string;
  credentials: AwsCredentials;
  date: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: input.service,
    sha256: NodeSha256,
    // JSON protocol clients (SSM, Secrets Manager) do not send x-amz-content-sha256.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname: input.host, path: '/', query: {}, headers: { ...input.headers, host: input.host }, body: input.body },
    { signingDate: input.date },
  );
  return signed.headers;
}

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('signRequest', () => {
  const cases: { name: string; service: string; region: string; host: string; date: string; credentials: AwsCredentials; body: string; headers?: Record<string, string> }[] = [
    {
      name: 'SSM GetParameter, long-term keys',
      service: 'ssm',
      region: 'us-east-1',
      host: 'ssm.us-east-1.amazonaws.com',
      date: '2015-08-30T12:36:00.000Z',
      credentials: KEYS,
      body: JSON.stringify({ Name: '/wristband/public-keys' }),
    },
    {
      name: 'Secrets Manager GetSecretValue, session credentials',
      service: 'secretsmanager',
      region: 'eu-west-3',
      host: 'secretsmanager.eu-west-3.amazonaws.com',
      date: '2024-02-29T23:59:59.999Z',
      credentials: { ...KEYS, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//session+token==' },
      body: JSON.stringify({ SecretId: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:wristband-AbCdEf', VersionStage: 'AWSCURRENT' }),
    },
    {
      name: 'a local endpoint with a port, non-ASCII body, irregular header whitespace',
      service: 'ssm',
      region: 'ap-southeast-2',
      host: '127.0.0.1:5000',
      date: '2031-01-01T00:00:00.000Z',
      credentials: { ...KEYS, sessionToken: 'token' },
      body: JSON.stringify({ Name: 'ключи/€', Value: '{"keys":[]}' }),
      headers: { 'x-amz-user-agent': '  wristband   test  ' },
    },
    {
      name: 'an empty body',
      service: 'secretsmanager',
      region: 'us-west-2',
      host: 'secretsmanager.us-west-2.amazonaws.com',
      date: '2020-06-15T08:00:00.000Z',
      credentials: KEYS,
      body: '',
    },
  ];

  it.each(cases)('matches the SDK signer: $name', async ({ service, region, host, date, credentials, body, headers: extra }) => {
    // Prepare
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${service === 'ssm' ? 'AmazonSSM' : 'secretsmanager'}.GetParameter`,
      ...extra,
    };
    const signingDate = new Date(date);

    // Act
    const ours = signRequest({ method: 'POST', host, path: '/', headers, body, service, region, credentials, date: signingDate });
    const sdk = await sdkAuthorization({ host, headers, body, service, region, credentials, date: signingDate });

    // Assess
    expect(ours.authorization).toBe(sdk.authorization);
    expect(ours['x-amz-date']).toBe(sdk['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(sdk['x-amz-security-token']);
    expect(ours.host).toBe(host);
  });

  it('changes the signature when the body, the date or the secret changes', () => {
    const base = {
      method: 'POST',
      host: 'ssm.us-east-1.amazonaws.com',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: '{"Name":"a"}',
      service: 'ssm',
      region: 'us-east-1',
      credentials: KEYS,
      date: new Date('2024-01-01T00:00:00Z'),
    };
    const signature = (overrides: Partial<typeof base>) => /Signature=([0-9a-f]{64})$/.exec(signRequest({ ...base, ...overrides }).authorization ?? '')?.[1];

    const original = signature({});
    expect(original).toMatch(/^[0-9a-f]{64}$/);
    expect(signature({ body: '{"Name":"b"}' })).not.toBe(original);
    expect(signature({ date: new Date('2024-01-01T00:00:01Z') })).not.toBe(original);
    expect(signature({ credentials: { ...KEYS, secretAccessKey: 'other' } })).not.toBe(original);
  });
});

describe('credentialsFromEnv', () => {
  it('reads the key pair and the session token', () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 's',
      sessionToken: 't',
    });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({ accessKeyId: 'a', secretAccessKey: 's' });
  });

  it.each([{}, { AWS_ACCESS_KEY_ID: 'a' }, { AWS_SECRET_ACCESS_KEY: 's' }, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 's' }])(
    'refuses incomplete credentials %j',
    (env) => {
      expect(() => credentialsFromEnv(env)).toThrow(expect.objectContaining({ type: 'CredentialsMissing' }));
    },
  );
});

// ---------------------------------------------------------------------------
// AwsJsonClient against a local HTTP server.

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (seen: Seen, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let seen: Seen[] = [];
let respond: Responder = (_seen, res) => json(res, 200, {});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      respond(entry, res);
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
  seen = [];
  respond = (_seen, res) => json(res, 200, {});
});

const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' };
const FIXED_NOW = new Date('2025-03-04T05:06:07Z');

function client(options: { maxAttempts?: number; timeoutMs?: number; credentials?: () => AwsCredentials } = {}) {
  return new AwsJsonClient(
    { region: 'eu-central-1', credentials: () => CREDS, endpoints: { ssm: endpoint, secretsmanager: endpoint }, now: () => FIXED_NOW, ...options },
    {},
  );
}

describe('AwsJsonClient', () => {
  it('POSTs a signed JSON 1.1 request and returns the parsed answer', async () => {
    // Prepare
    respond = (_seen, res) => json(res, 200, { Parameter: { Name: 'p', Value: '{"keys":[]}' } });

    // Act
    const out = await client().call('ssm', 'GetParameter', { Name: 'p' });

    // Assess
    expect(out).toEqual({ Parameter: { Name: 'p', Value: '{"keys":[]}' } });
    expect(seen).toHaveLength(1);
    const request = seen[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/');
    expect(request.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request.headers['x-amz-date']).toBe('20250304T050607Z');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/20250304\/eu-central-1\/ssm\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(request.body)).toEqual({ Name: 'p' });
    expect(Number(request.headers['content-length'])).toBe(Buffer.byteLength(request.body));
  });

  it('sends exactly the signature the SDK signer computes for the request the server received', async () => {
    await client({ credentials: () => ({ ...CREDS, sessionToken: 'sess' }) }).call('secretsmanager', 'GetSecretValue', { SecretId: 'ключ' });

    const request = seen[0]!;
    expect(request.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(request.headers['x-amz-security-token']).toBe('sess');
    const sdk = await sdkAuthorization({
      host: String(request.headers.host),
      headers: { 'content-type': String(request.headers['content-type']), 'x-amz-target': String(request.headers['x-amz-target']) },
      body: request.body,
      service: 'secretsmanager',
      region: 'eu-central-1',
      credentials: { ...CREDS, sessionToken: 'sess' },
      date: FIXED_NOW,
    });
    expect(request.headers.authorization).toBe(sdk.authorization);
  });

  it('maps an error answer to AwsServiceError without its namespace, and does not retry a 4xx', async () => {
    respond = (_seen, res) => json(res, 400, { __type: 'com.amazonaws.ssm#ParameterNotFound', message: 'Parameter p not found.' });

    const error = await client({ maxAttempts: 3 }).call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: 'ParameterNotFound', name: 'ParameterNotFound', status: 400, message: 'Parameter p not found.' });
    expect((error as AwsServiceError).retryable).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('reads a type without a namespace and a capitalised Message', async () => {
    respond = (_seen, res) => json(res, 400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });

    await expect(client().call('secretsmanager', 'GetSecretValue', { SecretId: 's' })).rejects.toMatchObject({
      type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('retries a 5xx up to maxAttempts, then throws the last error', async () => {
    respond = (_seen, res) => json(res, 500, { __type: 'InternalServerError', message: 'boom' });

    await expect(client({ maxAttempts: 3 }).call('ssm', 'GetParameter', { Name: 'p' })).rejects.toMatchObject({ type: 'InternalServerError', status: 500 });
    expect(seen).toHaveLength(3);
  });

  it('retries throttling (a 400) and succeeds when the service recovers', async () => {
    let calls = 0;
    respond = (_seen, res) => {
      calls += 1;
      if (calls < 3) json(res, 400, { __type: 'com.amazonaws.secretsmanager#ThrottlingException', message: 'Rate exceeded' });
      else json(res, 200, { SecretString: 'ok' });
    };

    await expect(client({ maxAttempts: 3 }).call('secretsmanager', 'GetSecretValue', { SecretId: 's' })).resolves.toEqual({ SecretString: 'ok' });
    expect(seen).toHaveLength(3);
  });

  it('stops retrying throttling at maxAttempts', async () => {
    respond = (_seen, res) => json(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });

    const error = await client({ maxAttempts: 2 }).call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    expect(error).toMatchObject({ type: 'ThrottlingException', status: 400 });
    expect((error as AwsServiceError).retryable).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('turns a timeout into a NetworkError (status 0)', async () => {
    respond = () => {
      // Never answer.
    };

    const error = await client({ timeoutMs: 50, maxAttempts: 1 }).call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: 'NetworkError', status: 0 });
    expect((error as AwsServiceError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('turns a refused connection into a NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const unreachable = new AwsJsonClient({ region: 'us-east-1', credentials: () => CREDS, endpoints: { ssm: `http://127.0.0.1:${port}` }, maxAttempts: 1 }, {});

    await expect(unreachable.call('ssm', 'GetParameter', { Name: 'p' })).rejects.toMatchObject({ type: 'NetworkError', status: 0 });
  });

  it('refuses a body that is not JSON', async () => {
    respond = (_seen, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>captive portal</html>');
    };

    const error = await client({ maxAttempts: 1 }).call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: 'InvalidResponse' });
  });

  it('keeps the status and code of an error answered in XML, and does not retry a 403', async () => {
    respond = (_seen, res) => {
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>');
    };

    const error = await client({ maxAttempts: 3 }).call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    expect(error).toMatchObject({ type: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' });
    expect((error as AwsServiceError).retryable).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('retries an HTML 502 from a proxy', async () => {
    respond = (_seen, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    };

    await expect(client({ maxAttempts: 2 }).call('ssm', 'GetParameter', { Name: 'p' })).rejects.toMatchObject({ type: 'InvalidResponse', status: 502 });
    expect(seen).toHaveLength(2);
  });

  it('treats an empty 2xx body as an empty answer', async () => {
    respond = (_seen, res) => {
      res.writeHead(200);
      res.end();
    };

    await expect(client().call('secretsmanager', 'UpdateSecretVersionStage', { SecretId: 's' })).resolves.toEqual({});
  });

  it('fails fast, without a request, when there are no credentials', async () => {
    // Prepare: an environment without keys; count how often they are looked for.
    let lookups = 0;
    const noKeys = new AwsJsonClient(
      {
        region: 'us-east-1',
        endpoints: { ssm: endpoint },
        maxAttempts: 3,
        credentials: () => {
          lookups += 1;
          return credentialsFromEnv({});
        },
      },
      {},
    );

    // Act
    const error = await noKeys.call('ssm', 'GetParameter', { Name: 'p' }).catch((e: unknown) => e);

    // Assess: a configuration error is not retried like a network blip.
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ type: 'CredentialsMissing' });
    expect((error as AwsServiceError).retryable).toBe(false);
    expect(lookups).toBe(1);
    expect(seen).toHaveLength(0);
  });

  it('uses the environment credentials by default and reports their absence', async () => {
    const noKeys = new AwsJsonClient({ region: 'us-east-1', endpoints: { ssm: endpoint }, maxAttempts: 1 }, {});

    await expect(noKeys.call('ssm', 'GetParameter', { Name: 'p' })).rejects.toMatchObject({ type: 'CredentialsMissing', status: 0 });
    expect(seen).toHaveLength(0);
  });

  it('reads credentials for every call, so rotated Lambda credentials are picked up', async () => {
    let credentialReads = 0;
    const c = client({
      credentials: () => {
        credentialReads += 1;
        return { accessKeyId: `AKID${credentialReads}`, secretAccessKey: 's' };
      },
    });

    await c.call('ssm', 'GetParameter', { Name: 'p' });
    await c.call('ssm', 'GetParameter', { Name: 'p' });

    expect(seen.map((s) => /Credential=(\w+)\//.exec(String(s.headers.authorization))?.[1])).toEqual(['AKID1', 'AKID2']);
  });

  it('takes credentials from the environment it was given', async () => {
    const fromEnv = new AwsJsonClient(
      { region: 'us-east-1', endpoints: { ssm: endpoint } },
      { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'envtoken' },
    );

    await fromEnv.call('ssm', 'GetParameter', { Name: 'p' });

    expect(seen[0]?.headers.authorization).toContain('Credential=AKIDENV/');
    expect(seen[0]?.headers['x-amz-security-token']).toBe('envtoken');
  });
});

describe('AwsJsonClient endpoints', () => {
  const ENV_KEYS = { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' };
  const other = 'http://127.0.0.1:9';

  it('uses AWS_ENDPOINT_URL_SSM for SSM only', async () => {
    const c = new AwsJsonClient({ region: 'us-east-1', maxAttempts: 1 }, { ...ENV_KEYS, AWS_ENDPOINT_URL_SSM: endpoint, AWS_ENDPOINT_URL: other });

    await c.call('ssm', 'GetParameter', { Name: 'p' });

    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
  });

  it('uses AWS_ENDPOINT_URL_SECRETS_MANAGER for Secrets Manager only', async () => {
    const c = new AwsJsonClient(
      { region: 'us-east-1', maxAttempts: 1 },
      { ...ENV_KEYS, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint, AWS_ENDPOINT_URL_SSM: other, AWS_ENDPOINT_URL: other },
    );

    await c.call('secretsmanager', 'GetSecretValue', { SecretId: 's' });

    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
  });

  it('falls back to AWS_ENDPOINT_URL for both services', async () => {
    const c = new AwsJsonClient({ region: 'us-east-1', maxAttempts: 1 }, { ...ENV_KEYS, AWS_ENDPOINT_URL: endpoint });

    await c.call('ssm', 'GetParameter', { Name: 'p' });
    await c.call('secretsmanager', 'GetSecretValue', { SecretId: 's' });

    expect(seen.map((s) => s.headers['x-amz-target'])).toEqual(['AmazonSSM.GetParameter', 'secretsmanager.GetSecretValue']);
  });

  it('prefers an explicit endpoint option over the environment', async () => {
    const c = new AwsJsonClient({ region: 'us-east-1', maxAttempts: 1, endpoints: { ssm: endpoint } }, { ...ENV_KEYS, AWS_ENDPOINT_URL_SSM: other });

    await c.call('ssm', 'GetParameter', { Name: 'p' });

    expect(seen).toHaveLength(1);
  });

  it('signs for the real regional endpoint by default (host header of the region)', () => {
    // No network here: the default endpoint is only observable through the Host it would sign.
    const c = new AwsJsonClient({ region: 'sa-east-1' }, ENV_KEYS) as unknown as { endpoints: Record<string, URL> };
    expect(c.endpoints.ssm?.host).toBe('ssm.sa-east-1.amazonaws.com');
    expect(c.endpoints.secretsmanager?.host).toBe('secretsmanager.sa-east-1.amazonaws.com');
  });
});
