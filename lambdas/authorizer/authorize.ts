/**
 * The authorizer's decision, wired from its parts: the key ring, the
 * verifier and the verified-token cache. The Lambda handler
 * (lambdas/handlers/authorizer.ts) builds one at module scope; tests build
 * their own with a fake key source and a frozen clock.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import type { PublicKeySource } from '../keys/key-store';
import { PublicKeyRing, type PublicKeyRingOptions } from '../keys/public-key-ring';
import type { TokenConfig } from '../contract/config';
import { authorizerDecision, authorizerOutcome } from './metrics';
import { InvalidTokenError } from '../contract/errors';
import { AccessTokenVerifier, type AccessClaims } from '../tokens/access-token-verifier';
import { bearerToken } from '../contract/bearer';
import { AuthorizerLog } from './log';
import { routeRefusal, signedInWithOtp } from '../contract/routes';
import { policyFor } from './policy';
import { VerifiedTokenCache } from './verified-token-cache';

export type TokenAuthorizerHandler = (event: APIGatewayTokenAuthorizerEvent, context?: Context) => Promise<APIGatewayAuthorizerResult>;

export interface AuthorizerOptions {
  readonly now?: () => number;
  /** Bound of the verified-token cache (default VERIFIED_TOKEN_CACHE_MAX_ENTRIES). */
  readonly maxCachedTokens?: number;
  readonly keyRing?: Pick<PublicKeyRingOptions, 'refetchCooldownMs' | 'maxAgeMs'>;
  readonly log?: AuthorizerLog;
}

export interface Authorizer {
  readonly handler: TokenAuthorizerHandler;
  readonly keys: PublicKeyRing;
  readonly verified: VerifiedTokenCache<AccessClaims>;
}

export function createAuthorizer(source: PublicKeySource, config: TokenConfig, options: AuthorizerOptions = {}): Authorizer {
  const now = options.now ?? Date.now;
  const verified = new VerifiedTokenCache<AccessClaims>({ now, ...(options.maxCachedTokens ? { maxEntries: options.maxCachedTokens } : {}) });
  // A token verified with a key that is no longer published must be checked again.
  const keys = new PublicKeyRing(source, { ...options.keyRing, now, onChange: () => verified.clear() });
  const verifier = new AccessTokenVerifier(keys, config, now);
  const log = options.log ?? new AuthorizerLog();

  const handler: TokenAuthorizerHandler = async (event, context) => {
    log.startInvocation(context);
    const token = bearerToken(event?.authorizationToken);
    if (!token) {
      log.info('token rejected', { reason: 'not_a_bearer_header' });
      authorizerOutcome('reject', 'not_a_bearer_header');
      throw new Error('Unauthorized');
    }
    try {
      let claims = verified.get(token);
      if (claims) {
        // Answered without the key ring: let it notice an old key set all the same.
        keys.refreshIfStale();
      } else {
        const ticket = verified.ticket();
        claims = await verifier.verify(token);
        verified.set(token, claims, ticket);
      }
      const required = config.mfaRequiredRoles ?? [];
      const result = policyFor(claims, event.methodArn, required);
      const caller = { role: claims.role, otp: signedInWithOtp(claims.amr) };
      authorizerDecision(event.methodArn, (route) => routeRefusal(route, caller, required) === undefined);
      return result;
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        log.info('token rejected', { reason: error.reason });
        authorizerOutcome('reject', error.reason);
        throw new Error('Unauthorized');
      }
      log.error('authorizer failed closed', { error: error instanceof Error ? error.message : 'unknown' });
      authorizerOutcome('error');
      throw error;
    }
  };
  return { handler, keys, verified };
}
