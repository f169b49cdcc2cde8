/**
 * The local stand-in for where each authorizer gets its public keys, on
 * 127.0.0.1 over plain HTTP:
 *
 * - `POST /` speaking SSM's JSON 1.1 protocol (`X-Amz-Target:
 *   AmazonSSM.GetParameter`), for wristband's own SigV4 client, pointed
 *   here with AWS_ENDPOINT_URL_SSM as the AWS SDKs are;
 * - `GET /.well-known/jwks.json`, for the baselines, which fetch a JWKS.
 *
 * Both answer the same keys. TLS is left out for everyone alike: a real
 * Lambda pays a TLS handshake to SSM or to a JWKS host, whichever it uses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serializePublicKeyDocument, toJwks, type PublicKeyDocument } from '../lambdas/keys/key-set';

export const BENCH_PARAMETER_NAME = '/wristband/bench/public-keys';
export const BENCH_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCHBENCH0', AWS_SECRET_ACCESS_KEY: 'bench-secret-key-not-a-real-one' } as const;

export interface KeyServer {
  readonly url: string;
  readonly jwksUrl: string;
  /** Requests answered so far, by kind: each cold process must make exactly one. */
  readonly counts: { ssm: number; jwks: number; refused: number };
  close(): Promise<void>;
}

export async function startKeyServer(doc: PublicKeyDocument): Promise<KeyServer> {
  const parameterValue = serializePublicKeyDocument(doc);
  const jwks = JSON.stringify(toJwks(doc));
  const counts = { ssm: 0, jwks: 0, refused: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
        counts.jwks++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
        return;
      }
      const target = req.headers['x-amz-target'];
      const auth = String(req.headers.authorization ?? '');
      const ssm = (type: string, status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(status === 200 ? body : { __type: type, ...body }));
      };
      if (req.method !== 'POST' || target !== 'AmazonSSM.GetParameter') {
        counts.refused++;
        ssm('UnknownOperationException', 400, { message: `unsupported: ${req.method} ${String(target)}` });
        return;
      }
      // Not a SigV4 verifier (test/lambdas/keys/aws-client.test.ts checks the signer against the SDK's): a sanity check only.
      if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${BENCH_CREDENTIALS.AWS_ACCESS_KEY_ID}/`) || !req.headers['x-amz-date']) {
        counts.refused++;
        ssm('MissingAuthenticationTokenException', 403, { message: 'request is not signed' });
        return;
      }
      let name: unknown;
      try {
        name = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name?: unknown }).Name;
      } catch {
        name = undefined;
      }
      if (name !== BENCH_PARAMETER_NAME) {
        counts.refused++;
        ssm('ParameterNotFound', 400, { message: `no parameter ${String(name)}` });
        return;
      }
      counts.ssm++;
      ssm('', 200, {
        Parameter: {
          Name: BENCH_PARAMETER_NAME,
          Type: 'String',
          Value: parameterValue,
          Version: 1,
          DataType: 'text',
          ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${BENCH_PARAMETER_NAME}`,
          LastModifiedDate: Date.now() / 1000,
        },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Environment for an authorizer process: wristband's wiring (SSM here) and the baselines' JWKS URL. */
export function authorizerEnv(server: KeyServer): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    ...BENCH_CREDENTIALS,
    AWS_ENDPOINT_URL_SSM: server.url,
    PUBLIC_KEYS_PARAMETER: BENCH_PARAMETER_NAME,
    BENCH_JWKS_URL: server.jwksUrl,
  };
}
