/**
 * The API Gateway TOKEN authorizer: verifies the access token against the
 * stack's published public keys, held in memory; never touches DynamoDB.
 * A bad token: throw exactly `Unauthorized` (API Gateway's 401). Keys that
 * cannot be read: any other error (API Gateway's 500, mapped to 503): the
 * request never passes unverified.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { bearerToken } from '../authorizer/bearer';
import { policyFor } from '../authorizer/policy';
import { createPublicKeySource } from '../keys/key-store';
import { PublicKeyRing } from '../keys/public-key-ring';
import { keySourceConfig, tokenConfig } from '../shared/config';
import { InvalidTokenError } from '../shared/errors';
import { logger } from '../shared/logger';
import { AccessTokenVerifier } from '../tokens/access-tokens';

const keys = new PublicKeyRing(createPublicKeySource(keySourceConfig()));
const verifier = new AccessTokenVerifier(keys, tokenConfig());
// Start reading the keys during init (a CPU burst Lambda gives for free); a failure here is retried per request.
void keys.hydrate().catch(() => undefined);

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event?.authorizationToken);
  if (!token) {
    logger.info('token rejected', { reason: 'not_a_bearer_header' });
    throw new Error('Unauthorized');
  }
  try {
    const claims = await verifier.verify(token);
    return policyFor(claims, event.methodArn);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      logger.info('token rejected', { reason: error.reason });
      throw new Error('Unauthorized');
    }
    logger.error('authorizer failed closed', { error: error instanceof Error ? error.message : 'unknown' });
    throw error;
  }
};
