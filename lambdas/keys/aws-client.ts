/**
 * A minimal client for AWS's JSON 1.1 protocol (SSM, Secrets Manager):
 * SigV4 signing with node:crypto and one POST over node:https.
 *
 * Why not the AWS SDK: the authorizer reads the public key set at cold
 * start, and a bundled SDK client is ~500 KB of JavaScript that adds ~70 ms
 * to every cold start. This file is a few KB. It is checked against the
 * SDK's own signer (test/lambdas/keys/aws-client.test.ts) and against moto's
 * SSM and Secrets Manager (test/aws/, `npm run test:aws`).
 */
import { createHash, createHmac } from 'node:crypto';
import type { request as httpRequest } from 'node:http';

export type AwsService = 'ssm' | 'secretsmanager';

const TARGET_PREFIX: Record<AwsService, string> = { ssm: 'AmazonSSM', secretsmanager: 'secretsmanager' };
/** The SDK's standard per-service endpoint variables, then the global one. */
const ENDPOINT_ENV: Record<AwsService, string> = { ssm: 'AWS_ENDPOINT_URL_SSM', secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER' };

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Lambda puts the function role's credentials in the environment; so do `aws` and moto setups. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new AwsServiceError('CredentialsMissing', 'no AWS credentials in the environment', 0);
  return env.AWS_SESSION_TOKEN ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN } : { accessKeyId, secretAccessKey };
}

export class AwsServiceError extends Error {
  constructor(
    /** The AWS error type without its namespace, e.g. `ParameterNotFound`. */
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = type;
  }

  /** Network failures, 5xx and throttling are transient; missing credentials (also status 0) are not. */
  get retryable(): boolean {
    return this.type === 'NetworkError' || this.status >= 500 || /Throttl|TooManyRequests|RequestLimitExceeded/.test(this.type);
  }
}

export interface AwsJsonClientOptions {
  readonly region: string;
  readonly credentials?: () => AwsCredentials;
  /** Endpoint overrides, e.g. `http://127.0.0.1:5000` for moto. Defaults come from the environment. */
  readonly endpoints?: Partial<Record<AwsService, string>>;
  readonly timeoutMs?: number;
  /** Attempts in all, for throttling, 5xx and network errors. */
  readonly maxAttempts?: number;
  readonly now?: () => Date;
}

export class AwsJsonClient {
  private readonly region: string;
  private readonly credentials: () => AwsCredentials;
  private readonly endpoints: Record<AwsService, URL>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(options: AwsJsonClientOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.region = options.region;
    this.credentials = options.credentials ?? (() => credentialsFromEnv(env));
    const endpoint = (service: AwsService) =>
      new URL(options.endpoints?.[service] ?? env[ENDPOINT_ENV[service]] ?? env.AWS_ENDPOINT_URL ?? `https://${service}.${this.region}.amazonaws.com`);
    this.endpoints = { ssm: endpoint('ssm'), secretsmanager: endpoint('secretsmanager') };
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.now = options.now ?? (() => new Date());
  }

  /** Calls `<service>.<operation>` with a JSON body and returns the parsed JSON answer. */
  async call(service: AwsService, operation: string, input: object): Promise<Record<string, unknown>> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        return await this.once(service, operation, input);
      } catch (error) {
        lastError = error;
        if (!(error instanceof AwsServiceError) || !error.retryable || attempt === this.maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
    throw lastError;
  }

  private async once(service: AwsService, operation: string, input: object): Promise<Record<string, unknown>> {
    const url = this.endpoints[service];
    const body = JSON.stringify(input);
    const headers = signRequest({
      method: 'POST',
      host: url.host,
      path: url.pathname || '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX[service]}.${operation}` },
      body,
      service,
      region: this.region,
      credentials: this.credentials(),
      date: this.now(),
    });
    const { status, text } = await post(url, headers, body, this.timeoutMs);
    let parsed: Record<string, unknown> = {};
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        const notJson = `${service} answered ${status} with a body that is not JSON`;
        if (status >= 200 && status < 300) throw new AwsServiceError('InvalidResponse', notJson, 502);
        // Proxies and moto's auth layer answer some errors in XML or HTML: keep the status (a 403 is not retried like a
        // 5xx) and the error code of an AWS XML error document.
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
        throw new AwsServiceError(code ?? 'InvalidResponse', message ?? notJson, status);
      }
    }
    if (status >= 200 && status < 300) return parsed;
    const rawType = String(parsed.__type ?? parsed.code ?? 'UnknownError');
    const type = rawType.slice(rawType.lastIndexOf('#') + 1);
    const message = String(parsed.message ?? parsed.Message ?? `${service} ${operation} failed with ${status}`);
    throw new AwsServiceError(type, message, status);
  }
}

type RequestFunction = typeof httpRequest;
const transports = new Map<string, Promise<RequestFunction>>();

/**
 * node:https (and the TLS stack under it) is loaded on first use, and only
 * for https endpoints: loading modules is most of a cold start, and a
 * local endpoint (moto, the bench's stand-in) needs plain HTTP only.
 */
function transport(protocol: string): Promise<RequestFunction> {
  let loading = transports.get(protocol);
  if (!loading) {
    loading = protocol === 'http:' ? import('node:http').then((m) => m.request) : import('node:https').then((m) => m.request as RequestFunction);
    transports.set(protocol, loading);
  }
  return loading;
}

async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const send = await transport(url.protocol);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => reject(new AwsServiceError('NetworkError', error.message, 0)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', (error) => reject(new AwsServiceError('NetworkError', error.message, 0)));
    req.end(body);
  });
}

export interface SignInput {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly date: Date;
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** AWS Signature Version 4 for a request without a query string. Returns every header to send. */
export function signRequest(input: SignInput): Record<string, string> {
  const amzDate = input.date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host: input.host, 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [input.method, input.path, '', canonicalHeaders, signedHeaders, sha256Hex(input.body)].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), input.service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
