/**
 * The API Gateway TOKEN authorizer: verifies the access token against the
 * stack's published public keys, held in memory; never touches DynamoDB.
 * A bad token: throw exactly `Unauthorized` (API Gateway's 401). Keys that
 * cannot be read: any other error, which API Gateway treats as a function
 * error of the authorizer (AUTHORIZER_CONFIGURATION_ERROR, a 500 the stack's
 * gateway response turns into 503 with Retry-After): the request never
 * passes unverified.
 *
 * A token this container has verified before (clients reuse a token until
 * it expires) costs a map lookup (lambdas/authorizer/verified-token-cache.ts
 * says why that is safe). The bundle carries no JOSE library and no AWS
 * SDK, because its size is paid on every cold start (docs/performance.md).
 */
import { createAuthorizer } from '../authorizer/authorize';
import { authorizerKeySource } from '../authorizer/key-source';
import { keySourceConfig, tokenConfig } from '../contract/config';

const authorizer = createAuthorizer(authorizerKeySource(keySourceConfig()), tokenConfig());
// Start reading the keys during init, so the read overlaps the rest of the cold start; a failure here is retried per request.
void authorizer.keys.hydrate().catch(() => undefined);

export const handler = authorizer.handler;
