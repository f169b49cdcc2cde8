/**
 * The SigV4 client (aws-client.ts) with each Secrets Manager and SSM call
 * in an X-Ray subsegment, for the functions that already carry the tracer
 * (login, refresh, jwks, rotate-keys). The authorizer keeps the plain
 * client: the tracer would more than double its bundle.
 */
import type { KeySourceConfig } from '../contract/config';
import { awsSubsegment } from '../telemetry/tracing';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsService } from './aws-client';
import { createKeyStore, type PublicKeySource, type SigningKeySource } from './key-store';

/** Names as the SDK's own X-Ray instrumentation writes them, so the service map shows one node per service. */
export const XRAY_SERVICE_NAMES: Record<AwsService, string> = { ssm: 'SSM', secretsmanager: 'Secrets Manager' };

export class TracedAwsJsonClient extends AwsJsonClient {
  private readonly tracedRegion: string;

  constructor(options: AwsJsonClientOptions, env?: Readonly<Record<string, string | undefined>>) {
    super(options, env);
    this.tracedRegion = options.region;
  }

  override call(service: AwsService, operation: string, input: object): Promise<Record<string, unknown>> {
    return awsSubsegment(XRAY_SERVICE_NAMES[service], operation, this.tracedRegion, () => super.call(service, operation, input));
  }
}

/** createKeyStore (key-store.ts), with the AWS calls traced. */
export function createTracedKeyStore(config: KeySourceConfig): PublicKeySource & SigningKeySource {
  return createKeyStore(config, (region) => new TracedAwsJsonClient({ region }));
}
