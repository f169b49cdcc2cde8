/**
 * The Secrets Manager rotation function for the signing key (see
 * lambdas/keys/rotation.ts). The only function that can write the secret or
 * the public key parameter.
 */
import { retiredKeyLifetimeSeconds } from '../keys/key-set';
import { awsRotationBackend, rotate, RotationError, type RotationEvent } from '../keys/rotation';
import { TracedAwsJsonClient } from '../keys/traced-aws-client';
import { ConfigError, keySourceConfig, tokenConfig } from '../contract/config';
import { logger } from '../telemetry/logger';
import { countMetric } from '../telemetry/metrics';
import { tracedHandler } from '../telemetry/tracing';

const keys = keySourceConfig();
if (keys.kind !== 'aws' || !keys.signingKeySecretId) throw new ConfigError('rotation needs SIGNING_KEY_SECRET_ID and PUBLIC_KEYS_PARAMETER');
const { signingKeySecretId, publicKeysParameter } = keys;
const client = new TracedAwsJsonClient({ region: keys.region });
const keepRetiredSeconds = retiredKeyLifetimeSeconds({ ...tokenConfig(), signingKeyCacheSeconds: keys.signingKeyCacheSeconds });

export const handler = tracedHandler(async (event: RotationEvent): Promise<void> => {
  // Secrets Manager names the secret by ARN; refuse to rotate anything but ours.
  if (event?.SecretId !== signingKeySecretId) throw new RotationError('event names a secret this function does not rotate');
  logger.info('rotation step', { step: event.Step, version: event.ClientRequestToken });
  await rotate(awsRotationBackend(client, signingKeySecretId, publicKeysParameter), event, { keepRetiredSeconds });
  // finishSecret is the step that makes the new key current; Secrets Manager may retry it, and a retry that finds the work done counts again.
  if (event.Step === 'finishSecret') countMetric('keyRotated');
});
