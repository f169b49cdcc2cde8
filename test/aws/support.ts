/** Shared wiring for the AWS suite: clients and environment pointing at moto. */
import { randomUUID } from 'node:crypto';
import { AwsJsonClient, AwsServiceError } from '../../lambdas/keys/aws-client';

export const REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
/** What the stack stores before the first rotation has run. */
export const PLACEHOLDER_SECRET = '{"placeholder":"replaced by the first rotation"}';

export function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run this suite with `npm run test:aws`');
  return endpoint;
}

export function motoClient(endpoint: string = motoEndpoint(), options: { maxAttempts?: number; timeoutMs?: number } = {}): AwsJsonClient {
  return new AwsJsonClient({ region: REGION, credentials: () => TEST_CREDENTIALS, endpoints: { ssm: endpoint, secretsmanager: endpoint }, ...options }, {});
}

/** Unique names per test, so test files can share one moto. */
export function uniqueNames(): { parameter: string; secret: string } {
  const id = randomUUID();
  return { parameter: `/wristband/test-${id}/public-keys`, secret: `wristband-test-${id}` };
}

/** Creates the SSM parameter with an empty key set and the secret with its placeholder, as the stack does. */
export async function createKeyResources(client: AwsJsonClient, names: { parameter: string; secret: string }): Promise<{ secretArn: string }> {
  // The names are new to this test, so "already exists" can only be our own create, retried by the
  // client after a slow first answer (moto's first requests are slow to start).
  try {
    await client.call('ssm', 'PutParameter', { Name: names.parameter, Value: '{"keys":[]}', Type: 'String' });
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.type === 'ParameterAlreadyExists')) throw error;
  }
  try {
    const out = await client.call('secretsmanager', 'CreateSecret', { Name: names.secret, SecretString: PLACEHOLDER_SECRET });
    return { secretArn: String(out.ARN) };
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.type === 'ResourceExistsException')) throw error;
    const out = await client.call('secretsmanager', 'DescribeSecret', { SecretId: names.secret });
    return { secretArn: String(out.ARN) };
  }
}

/**
 * What Secrets Manager does when a rotation starts: a new version labelled
 * AWSPENDING, with no value yet. moto creates exactly that when RotateSecret
 * names a rotation function, then fails to find the function (it cannot run
 * Lambda without Docker); the steps are then ours to call, as Secrets
 * Manager would.
 */
export async function startRotation(client: AwsJsonClient, secretId: string): Promise<string> {
  const token = randomUUID();
  try {
    await client.call('secretsmanager', 'RotateSecret', {
      SecretId: secretId,
      ClientRequestToken: token,
      RotationLambdaARN: `arn:aws:lambda:${REGION}:123456789012:function:wristband-rotate-keys-not-deployed`,
    });
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.type === 'ResourceNotFoundException' && /Resource not found for ARN/.test(error.message))) throw error;
  }
  return token;
}

export async function versionStages(client: AwsJsonClient, secretId: string): Promise<Record<string, string[]>> {
  const out = await client.call('secretsmanager', 'DescribeSecret', { SecretId: secretId });
  return out.VersionIdsToStages as Record<string, string[]>;
}
